from django import forms
from django.contrib.auth.forms import UserCreationForm

from playground.openrouter import REASONING_EFFORTS, ModelInfo

MAX_COLUMNS = 8
# A long document plus a question fits; a runaway paste of megabytes does not.
MAX_PROMPT_CHARS = 100_000
MAX_INSTRUCTIONS_CHARS = 20_000


class RunForm(forms.Form):
    """A comparison to run: one prompt and shared parameters, one model per column.

    `models` arrives as repeated `models` fields, one per column, in column order.
    """

    prompt = forms.CharField(
        max_length=MAX_PROMPT_CHARS,
        widget=forms.Textarea(attrs={"rows": 5, "data-testid": "prompt"}),
        error_messages={"required": "Write a prompt to send to the models."},
    )
    instructions = forms.CharField(
        required=False,
        max_length=MAX_INSTRUCTIONS_CHARS,
        widget=forms.Textarea(attrs={"rows": 2, "data-testid": "instructions"}),
    )
    temperature = forms.FloatField(
        required=False,
        min_value=0,
        max_value=2,
        widget=forms.NumberInput(attrs={"step": "0.1", "placeholder": "model default"}),
    )
    max_output_tokens = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=200_000,
        label="Max output tokens",
        widget=forms.NumberInput(attrs={"placeholder": "model default"}),
    )
    reasoning_effort = forms.ChoiceField(
        required=False,
        choices=[("", "model default"), *((e, e) for e in REASONING_EFFORTS)],
    )

    @property
    def parameters(self) -> list[forms.BoundField]:
        """The parameters shared by every column, in the order they are shown."""
        return [self[name] for name in ("temperature", "max_output_tokens", "reasoning_effort")]

    def __init__(self, *args, catalog: list[ModelInfo] | None, catalog_error: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.catalog = catalog or []
        self.catalog_ids = {model.id for model in self.catalog}
        self.catalog_error = catalog_error

    def clean(self):
        cleaned = super().clean()
        models = [value.strip() for value in self.data.getlist("models")]
        if not models:
            self.add_error(None, "Add at least one column.")
        elif len(models) > MAX_COLUMNS:
            self.add_error(None, f"At most {MAX_COLUMNS} columns can run at once.")
        elif self.catalog_error:
            self.add_error(None, self.catalog_error)
        else:
            for number, model in enumerate(models, start=1):
                if not model:
                    self.add_error(None, f"Column {number} has no model: pick one.")
                elif model not in self.catalog_ids:
                    self.add_error(None, f"Column {number}: unknown model “{model}”.")
        cleaned["models"] = models
        return cleaned


class FirstAccountForm(UserCreationForm):
    """Creates the first person's account, who becomes the administrator."""

    def save(self, commit: bool = True):
        user = super().save(commit=False)
        user.is_staff = True
        user.is_superuser = True
        if commit:
            user.save()
        return user
