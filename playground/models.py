from decimal import Decimal

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from playground.rendering import render_markdown


class StreamJSONEncoder(DjangoJSONEncoder):
    """Stream events are decoded with Decimal numbers (exact costs); store them as
    JSON numbers again, not as the strings DjangoJSONEncoder would write."""

    def default(self, o):
        if isinstance(o, Decimal):
            return float(o)
        return super().default(o)


class Run(models.Model):
    """One comparison: a prompt sent to every column's model at once."""

    class Status(models.TextChoices):
        PENDING = "pending"
        STREAMING = "streaming"
        DONE = "done"
        CANCELLED = "cancelled"

    class KeySource(models.TextChoices):
        DEMO = "demo", "demo: simulated responses"
        SERVER = "server", "the server's key"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="runs"
    )
    prompt = models.TextField()
    instructions = models.TextField(blank=True)
    temperature = models.FloatField(null=True, blank=True)
    max_output_tokens = models.PositiveIntegerField(null=True, blank=True)
    reasoning_effort = models.CharField(max_length=16, blank=True)
    key_source = models.CharField(max_length=16, choices=KeySource.choices)
    key_hint = models.CharField(max_length=8, blank=True, help_text="Last four characters only.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Run {self.pk} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("run-detail", args=[self.pk])

    @property
    def is_live(self) -> bool:
        """Whether opening the run should connect to its stream (it has not started yet)."""
        return self.status == self.Status.PENDING


class RunColumn(models.Model):
    """One model's answer within a run, with everything needed to inspect it later."""

    class Status(models.TextChoices):
        PENDING = "pending"
        STREAMING = "streaming"
        DONE = "done"
        ERROR = "error"
        CANCELLED = "cancelled"
        INCOMPLETE = "incomplete"

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="columns")
    position = models.PositiveSmallIntegerField()
    model = models.CharField(max_length=200, help_text="The model id that was requested.")
    request_body = models.JSONField(help_text="The exact body sent upstream.")
    request_headers = models.JSONField(default=dict, help_text="Headers sent, key redacted.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)

    output_text = models.TextField(blank=True)
    reasoning_text = models.TextField(blank=True)
    tool_calls = models.JSONField(default=list, blank=True)

    input_tokens = models.PositiveIntegerField(null=True, blank=True)
    output_tokens = models.PositiveIntegerField(null=True, blank=True)
    reasoning_tokens = models.PositiveIntegerField(null=True, blank=True)
    cached_tokens = models.PositiveIntegerField(null=True, blank=True)
    cost = models.DecimalField(max_digits=20, decimal_places=12, null=True, blank=True)

    ttft_ms = models.PositiveIntegerField(null=True, blank=True, help_text="Time to first token.")
    total_ms = models.PositiveIntegerField(null=True, blank=True)

    served_model = models.CharField(max_length=200, blank=True)
    generation_id = models.CharField(max_length=100, blank=True)
    incomplete_reason = models.CharField(max_length=64, blank=True)
    error = models.JSONField(
        null=True, blank=True, encoder=StreamJSONEncoder, help_text="The error as shown, if any."
    )

    events = models.JSONField(
        default=list, blank=True, encoder=StreamJSONEncoder, help_text="Raw stream events, capped."
    )
    events_truncated = models.BooleanField(default=False)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["run", "position"], name="one_column_per_position"),
        ]

    def __str__(self) -> str:
        return f"{self.model} in run {self.run_id}"

    @property
    def tokens_per_second(self) -> float | None:
        """Output speed once the first token arrived (the wait before it is the TTFT)."""
        if not self.output_tokens or self.total_ms is None or self.ttft_ms is None:
            return None
        generating_ms = self.total_ms - self.ttft_ms
        if generating_ms <= 0:
            return None
        return self.output_tokens / (generating_ms / 1000)

    @property
    def output_html(self) -> SafeString:
        # Safe: render_markdown escapes the model's HTML and sanitizes the result.
        return mark_safe(render_markdown(self.output_text))

    @property
    def error_message(self) -> str:
        return (self.error or {}).get("message", "")

    @property
    def cost_number(self) -> str:
        """The cost in USD as OpenRouter reported it, without padding: "0.0000225"."""
        if self.cost is None:
            return ""
        text = format(Decimal(self.cost), "f")
        return text.rstrip("0").rstrip(".") if "." in text else text

    @property
    def cost_display(self) -> str:
        return f"${self.cost_number}" if self.cost is not None else ""
