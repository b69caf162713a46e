import secrets
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from playground.core.crypto import decrypt_secret
from playground.core.formatting import plain_decimal
from playground.core.rendering import render_markdown


class StreamJSONEncoder(DjangoJSONEncoder):
    """Stream events are decoded with Decimal numbers (exact costs); store them as
    JSON numbers again, not as the strings DjangoJSONEncoder would write."""

    def default(self, o):
        if isinstance(o, Decimal):
            return float(o)
        if callable(getattr(o, "as_json", None)):
            # A column's events, decoded only now (playground/runs/streaming.py, EventRecord).
            return o.as_json()
        return super().default(o)


class Run(models.Model):
    """One comparison: a prompt sent to every column's model at once."""

    class Status(models.TextChoices):
        PENDING = "pending"
        STREAMING = "streaming"
        DONE = "done"
        CANCELLED = "cancelled"
        # The server stopped (shut down or died) while the run was streaming.
        INTERRUPTED = "interrupted"

    class KeySource(models.TextChoices):
        DEMO = "demo", "demo: simulated responses"
        SERVER = "server", "the server's key"
        USER = "user", "the person's own key"

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
    api_key = models.ForeignKey(
        "ApiKey",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="runs",
        help_text="The person's own key the run uses (key_source 'user').",
    )
    key_label = models.CharField(max_length=100, blank=True)
    setup = models.JSONField(
        default=dict,
        blank=True,
        help_text="The whole setup the run was made from (playground/setups/format.py); empty for "
        "runs older than it, whose setup is read from the fields above.",
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="follow_ups",
        help_text="The run this one continues (a follow-up message or tool results).",
    )
    budget = models.DecimalField(
        max_digits=20,
        decimal_places=12,
        null=True,
        blank=True,
        help_text="The most the run was allowed to cost at worst, in USD.",
    )
    evaluation = models.ForeignKey(
        "Evaluation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="runs",
        help_text="The evaluation this run is a cell of (the history lists only the others).",
    )
    keep_running = models.BooleanField(
        default=False,
        help_text="Keeps generating when nobody watches, instead of stopping after the grace "
        "period (PLAYGROUND_ORPHAN_GRACE_SECONDS).",
    )
    blind = models.BooleanField(
        default=False,
        help_text="Its columns were shuffled and are shown as Model A, B, … until the vote.",
    )
    revealed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When a blind run's models were revealed: by the vote, or without one.",
    )
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
        """Whether opening the run attaches to its stream: its task has yet to start, or
        is generating it."""
        return self.status in (self.Status.PENDING, self.Status.STREAMING)

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.CANCELLED, self.Status.INTERRUPTED)

    @property
    def is_hidden(self) -> bool:
        """A blind run before the reveal: nothing may say which model is which."""
        return self.blind and self.revealed_at is None

    @property
    def key_description(self) -> str:
        """Which key the run used, as the run page names it (never more than four characters)."""
        if self.key_source == self.KeySource.USER:
            return f"Your key “{self.key_label}” {self.key_hint}"
        if self.key_source == self.KeySource.SERVER:
            return f"Server key {self.key_hint}"
        return "Demo: simulated responses"


class RunColumnQuerySet(models.QuerySet):
    def without_stream_record(self):
        """Columns without what only the inspector and the download read: the raw events
        (thousands for a long answer) and the response's head and final object."""
        return self.defer("events", "response", "response_headers")


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
    request_url = models.CharField(
        max_length=500, blank=True, help_text="Where the request went (the demo's is simulated)."
    )
    request_body = models.JSONField(help_text="The exact body sent upstream.")
    request_headers = models.JSONField(default=dict, help_text="Headers sent, key redacted.")
    response_status = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The HTTP status OpenRouter answered with."
    )
    response_headers = models.JSONField(default=dict, blank=True)
    response = models.JSONField(
        default=dict,
        blank=True,
        encoder=StreamJSONEncoder,
        help_text="The last response object the stream carried (the final one).",
    )
    marks = models.JSONField(
        default=dict,
        blank=True,
        help_text="Timeline moments in ms since the request was sent: first byte, first "
        "reasoning, first answer, last token, end.",
    )
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
    served_provider = models.CharField(max_length=200, blank=True)
    previous = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="next_turns",
        help_text="The column of the earlier run whose conversation this one continues.",
    )
    cost_estimate = models.DecimalField(
        max_digits=20,
        decimal_places=12,
        null=True,
        blank=True,
        help_text="The worst-case cost estimated before the run, in USD.",
    )
    citations = models.JSONField(
        default=list, blank=True, help_text="Sources cited: url, title, start and end index."
    )
    reasoning_encrypted = models.BooleanField(
        default=False, help_text="Encrypted reasoning arrived (kept by the provider, not shown)."
    )
    generation = models.JSONField(
        default=dict,
        blank=True,
        encoder=StreamJSONEncoder,
        help_text="What /generation reported after the answer (provider, times, native "
        "token counts, cost), or why it could not be looked up.",
    )
    generation_id = models.CharField(max_length=100, blank=True)
    incomplete_reason = models.CharField(max_length=64, blank=True)
    error = models.JSONField(
        null=True, blank=True, encoder=StreamJSONEncoder, help_text="The error as shown, if any."
    )

    events = models.JSONField(
        default=list, blank=True, encoder=StreamJSONEncoder, help_text="Raw stream events, capped."
    )
    events_truncated = models.BooleanField(default=False)

    objects = RunColumnQuerySet.as_manager()

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["run", "position"], name="one_column_per_position"),
        ]

    def __str__(self) -> str:
        return f"{self.model} in run {self.run_id}"

    @property
    def label(self) -> str:
        """Its name in a blind run: "A", "B", … (the columns were shuffled when made)."""
        return chr(ord("A") + self.position)

    @property
    def answered(self) -> bool:
        """It ended with an answer, whole or cut at its output limit."""
        return self.status in (self.Status.DONE, self.Status.INCOMPLETE)

    @property
    def token_counts(self) -> dict[str, int | None]:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "reasoning_tokens": self.reasoning_tokens,
            "cached_tokens": self.cached_tokens,
        }

    @property
    def timings(self) -> dict[str, float | None]:
        return {
            "ttft_ms": self.ttft_ms,
            "total_ms": self.total_ms,
            "tokens_per_second": self.tokens_per_second,
        }

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
    def reasoning_html(self) -> SafeString:
        """Reasoning text and summaries as sanitized markdown: summaries come with
        headings ("**Understanding the request**")."""
        # Safe: render_markdown escapes the model's HTML and sanitizes the result.
        return mark_safe(render_markdown(self.reasoning_text))

    @property
    def error_message(self) -> str:
        return (self.error or {}).get("message", "")

    @property
    def cost_number(self) -> str:
        """The cost in USD as OpenRouter reported it, without padding: "0.0000225"."""
        return plain_decimal(self.cost)

    @property
    def cost_display(self) -> str:
        return f"${self.cost_number}" if self.cost is not None else ""


class Vote(models.Model):
    """A person's verdict on a blind run: which column was better (playground/judging/)."""

    # A label ("A", "B", …) for the better column; or one of these.
    TIE = "tie"
    BOTH_BAD = "bad"

    run = models.OneToOneField(Run, on_delete=models.CASCADE, related_name="vote")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="votes"
    )
    choice = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"vote {self.choice} on run {self.run_id}"


class Dataset(models.Model):
    """A named table of cases for evaluations: a text value per column in each row; the
    columns are the variables a prompt fills in, and `expected` the expected answer
    (playground/evaluations/tables.py)."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="datasets"
    )
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    columns = models.JSONField(default=list, help_text="The column names, in order.")
    rows = models.JSONField(default=list, help_text="One object per row: column name → text.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="one_dataset_name_per_owner"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("dataset-detail", args=[self.pk])


class Evaluation(models.Model):
    """One setup over the rows of a dataset, with checks: a cell per row and column, each
    a generation of its own (playground/evaluations/)."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        CANCELLED = "cancelled"
        # The server stopped while it ran; Resume runs the cells not finished.
        INTERRUPTED = "interrupted"
        ERROR = "error"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="evaluations"
    )
    name = models.CharField(max_length=200)
    dataset = models.ForeignKey(
        Dataset, on_delete=models.SET_NULL, null=True, blank=True, related_name="evaluations"
    )
    dataset_name = models.CharField(max_length=100)
    setup = models.JSONField(help_text="The setup each row fills in (playground/setups/format.py).")
    rows = models.JSONField(help_text="The dataset's rows as they were when it started.")
    checks = models.JSONField(default=list, help_text="[{type, value}] applied to every cell.")
    judge_model = models.CharField(max_length=200, blank=True)
    concurrency = models.PositiveSmallIntegerField(default=4)
    budget = models.DecimalField(max_digits=20, decimal_places=12, null=True, blank=True)
    cost_estimate = models.DecimalField(
        max_digits=20,
        decimal_places=12,
        null=True,
        blank=True,
        help_text="The worst case of every cell (and judge call) estimated before it started.",
    )
    key_source = models.CharField(max_length=16, choices=Run.KeySource.choices)
    key_hint = models.CharField(max_length=8, blank=True)
    api_key = models.ForeignKey(
        "ApiKey", on_delete=models.SET_NULL, null=True, blank=True, related_name="evaluations"
    )
    key_label = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(blank=True)
    stop_requested = models.BooleanField(default=False)
    heartbeat_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Written every few seconds while its task runs: a running evaluation whose "
        "heartbeat stopped lost its server process, and is interrupted.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("evaluation-detail", args=[self.pk])

    @property
    def is_live(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def models(self) -> list[str]:
        return [column["model"] for column in self.setup.get("columns", [])]


class EvaluationCell(models.Model):
    """One row of an evaluation answered by one of its columns, and its checks."""

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        DONE = "done"
        INCOMPLETE = "incomplete"
        ERROR = "error"
        CANCELLED = "cancelled"
        INTERRUPTED = "interrupted"

    # A finished cell is never generated again (never billed twice).
    FINISHED = (Status.DONE, Status.INCOMPLETE, Status.ERROR)

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="cells")
    row = models.PositiveIntegerField(help_text="The dataset row, from 1.")
    position = models.PositiveSmallIntegerField(help_text="The setup's column.")
    model = models.CharField(max_length=200)
    column = models.ForeignKey(
        RunColumn,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="evaluation_cells",
        help_text="The generation (its run holds the request, the stream and the usage).",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    checks = models.JSONField(default=list, help_text="[{type, value, passed, reason}].")
    checks_passed = models.PositiveSmallIntegerField(default=0)
    checks_total = models.PositiveSmallIntegerField(default=0)
    judge_cost = models.DecimalField(max_digits=20, decimal_places=12, null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(
        default=0, help_text="Generations started for it (a resumed cell was stopped before)."
    )
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["row", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation", "row", "position"], name="one_cell_per_row_and_column"
            ),
        ]

    def __str__(self) -> str:
        return f"row {self.row}, column {self.position} of evaluation {self.evaluation_id}"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def passed(self) -> bool:
        """It answered and every check passed: a failed generation never passes."""
        answered = self.status in (self.Status.DONE, self.Status.INCOMPLETE)
        return answered and self.checks_passed == self.checks_total


def new_token() -> str:
    """An unguessable link token: 256 random bits, unrelated to any id."""
    return secrets.token_urlsafe(32)


class ApiKey(models.Model):
    """A person's own OpenRouter key, encrypted at rest (see playground/core/crypto.py)."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys"
    )
    label = models.CharField(max_length=100)
    secret = models.TextField(help_text="The key, encrypted and bound to its owner.")
    last_four = models.CharField(max_length=4)
    is_default = models.BooleanField(default=False)
    info = models.JSONField(
        null=True, blank=True, help_text="What OpenRouter's /key said of it, nothing secret."
    )
    info_checked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["label", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "label"], name="unique_key_label_per_owner"),
            models.UniqueConstraint(
                fields=["owner"],
                condition=models.Q(is_default=True),
                name="one_default_key_per_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} {self.hint}"

    @property
    def hint(self) -> str:
        return f"…{self.last_four}"

    def reveal(self) -> str:
        """The key in clear, to send to OpenRouter and nowhere else.

        Raises KeyUnavailable when the stored value cannot be decrypted for its owner.
        """
        return decrypt_secret(self.secret, owner_id=self.owner_id)


class Preset(models.Model):
    """A named compare setup; every saved change is a new PresetVersion."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="presets"
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-pk"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("preset-detail", args=[self.pk])

    @property
    def latest_version(self) -> "PresetVersion":
        return self.versions.order_by("-number").first()


class PresetVersion(models.Model):
    """One saved state of a preset's setup (the format of playground/setups/format.py)."""

    preset = models.ForeignKey(Preset, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    setup = models.JSONField()
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["preset", "number"], name="unique_version_number"),
        ]

    def __str__(self) -> str:
        return f"{self.preset} v{self.number}"


class Share(models.Model):
    """A read-only link to a preset (its latest version) or a frozen snapshot of a run
    or of an evaluation."""

    class Kind(models.TextChoices):
        PRESET = "preset"
        RUN = "run"
        EVALUATION = "evaluation"

    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shares"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    preset = models.ForeignKey(
        Preset, on_delete=models.CASCADE, null=True, blank=True, related_name="shares"
    )
    run = models.ForeignKey(
        Run, on_delete=models.CASCADE, null=True, blank=True, related_name="shares"
    )
    evaluation = models.ForeignKey(
        Evaluation, on_delete=models.CASCADE, null=True, blank=True, related_name="shares"
    )
    snapshot = models.JSONField(
        null=True,
        blank=True,
        encoder=StreamJSONEncoder,
        help_text="A run or an evaluation as it was shared.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_opened_at = models.DateTimeField(null=True, blank=True)
    open_count = models.PositiveIntegerField(default=0)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(
                        kind="preset",
                        preset__isnull=False,
                        run__isnull=True,
                        evaluation__isnull=True,
                    )
                    | models.Q(
                        kind="run", run__isnull=False, preset__isnull=True, evaluation__isnull=True
                    )
                    | models.Q(
                        kind="evaluation",
                        evaluation__isnull=False,
                        preset__isnull=True,
                        run__isnull=True,
                    )
                ),
                name="share_points_at_its_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} share {self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("shared", args=[self.token])

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


def _invite_expiry():
    return timezone.now() + timedelta(days=settings.PLAYGROUND_INVITE_DAYS)


class Invite(models.Model):
    """A one-time sign-up link made by the admin (PLAYGROUND_SIGNUP=invite)."""

    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    note = models.CharField(max_length=200, blank=True, help_text="Who it is for.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invites_made",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(default=_invite_expiry)
    used_at = models.DateTimeField(null=True, blank=True)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invite_used",
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.note or f"Invite {self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("signup-invite", args=[self.token])

    @property
    def is_usable(self) -> bool:
        return self.used_at is None and self.expires_at > timezone.now()


class CatalogCopy(models.Model):
    """The last model list that was fetched from an API's /models, kept so the compare page
    still offers models when that API cannot be reached."""

    base_url = models.CharField(max_length=500, unique=True)
    body = models.JSONField(help_text="The /models response body, as received.")
    fetched_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Model list of {self.base_url}"
