from django import forms
from django.contrib.auth.forms import UserCreationForm

from playground.openrouter import REASONING_EFFORTS, ModelInfo
from playground.setups import PARAMETERS

MAX_COLUMNS = 8
# A long document plus a question fits; a runaway paste of megabytes does not.
MAX_PROMPT_CHARS = 100_000
MAX_INSTRUCTIONS_CHARS = 20_000
MAX_MODEL_ID_CHARS = 200


class SetupForm(forms.Form):
    """A compare setup (playground/setups.py): one prompt and shared parameters, one model
    per column. A preset may leave the prompt empty; a run may not (RunForm).

    `models` arrives as repeated `models` fields, one per column, in column order.
    """

    prompt = forms.CharField(
        required=False,
        max_length=MAX_PROMPT_CHARS,
        widget=forms.Textarea(attrs={"rows": 5, "data-testid": "prompt"}),
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
        return [self[name] for name in PARAMETERS]

    def clean(self):
        cleaned = super().clean()
        models = [value.strip() for value in self.data.getlist("models")]
        if not models:
            self.add_error(None, "Add at least one column.")
        elif len(models) > MAX_COLUMNS:
            self.add_error(None, f"At most {MAX_COLUMNS} columns can run at once.")
        else:
            for number, model in enumerate(models, start=1):
                if not model:
                    self.add_error(None, f"Column {number} has no model: pick one.")
                elif len(model) > MAX_MODEL_ID_CHARS:
                    self.add_error(None, f"Column {number}: the model id is too long.")
        cleaned["models"] = models
        return cleaned


class RunForm(SetupForm):
    """A setup to run now: it needs a prompt, and models the catalog offers."""

    def __init__(self, *args, catalog: list[ModelInfo] | None, catalog_error: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["prompt"].required = True
        self.fields["prompt"].error_messages["required"] = "Write a prompt to send to the models."
        self.catalog = catalog or []
        self.catalog_ids = {model.id for model in self.catalog}
        self.catalog_error = catalog_error

    def clean(self):
        cleaned = super().clean()
        if self.non_field_errors():
            return cleaned
        if self.catalog_error:
            self.add_error(None, self.catalog_error)
            return cleaned
        for number, model in enumerate(cleaned["models"], start=1):
            if model not in self.catalog_ids:
                self.add_error(None, f"Column {number}: unknown model “{model}”.")
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
