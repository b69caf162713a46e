from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm

from playground import throttle
from playground.keys import shares_key_material
from playground.models import ApiKey, Preset
from playground.openrouter import REASONING_EFFORTS, ModelInfo
from playground.preset_files import MAX_FILE_BYTES, too_large_message
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
    """The compare page's form. To run, it needs a prompt, and models the catalog offers;
    which key to use is one of the person's own."""

    key = forms.ModelChoiceField(
        queryset=ApiKey.objects.none(),
        required=False,
        empty_label=None,
        label="Key",
        widget=forms.Select(attrs={"data-testid": "key-choice"}),
        error_messages={"invalid_choice": "That key does not exist any more: pick another."},
    )

    def __init__(
        self,
        *args,
        catalog: list[ModelInfo] | None,
        catalog_error: str = "",
        owner=None,
        saving_preset: bool = False,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        # A preset is a setup to come back to: it may lack a prompt, and name models the
        # catalog does not offer right now.
        self.saving_preset = saving_preset
        if not saving_preset:
            self.fields["prompt"].required = True
            self.fields["prompt"].error_messages["required"] = (
                "Write a prompt to send to the models."
            )
        # The person's own keys; without any, runs use the server's key or the demo.
        keys = ApiKey.objects.filter(owner=owner) if owner else ApiKey.objects.none()
        if keys.exists():
            self.fields["key"].queryset = keys  # shown as ApiKey.__str__: "label …abcd"
            self.fields["key"].initial = keys.filter(is_default=True).first()
        else:
            del self.fields["key"]
        self.catalog = catalog or []
        self.catalog_ids = {model.id for model in self.catalog}
        self.catalog_error = catalog_error

    def clean(self):
        cleaned = super().clean()
        if self.non_field_errors() or self.saving_preset:
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


class ThrottledLoginMixin:
    """Refuses logins while the username or the client's address is locked, and counts
    failed ones (playground/throttle.py). `locked_for` tells the view to answer 429."""

    locked_for = 0

    def clean(self):
        username = self.data.get("username", "")
        ip = throttle.client_ip(self.request)
        self.locked_for = throttle.login_locked_for(username=username, ip=ip)
        if self.locked_for:
            # Refused before the password is checked: a lock stops guessing only if the
            # right password does not get in either.
            raise forms.ValidationError(throttle.lock_message(self.locked_for), code="locked")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            if self.user_cache is None:
                self.locked_for = throttle.login_failed(username=username, ip=ip)
                if self.locked_for:
                    raise forms.ValidationError(
                        throttle.lock_message(self.locked_for), code="locked"
                    ) from None
            raise
        if self.user_cache is not None:
            throttle.login_succeeded(username=username)
        return cleaned


class LoginForm(ThrottledLoginMixin, AuthenticationForm):
    pass


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    """The admin's own login page, held to the same limits."""


class SignupForm(UserCreationForm):
    """A new person's account: a normal user, neither staff nor administrator."""


class PresetForm(forms.ModelForm):
    """A preset's name and description: renaming it, and each preset of an import file."""

    class Meta:
        model = Preset
        fields = ["name", "description"]
        widgets = {
            "name": forms.TextInput(attrs={"data-testid": "preset-name"}),
            "description": forms.Textarea(attrs={"rows": 3, "data-testid": "preset-description"}),
        }


class PresetSaveForm(PresetForm):
    """The name and description under which the compare page saves its setup."""

    # These fields sit inside the run form: a browser-side `required` would block Run.
    use_required_attribute = False

    class Meta(PresetForm.Meta):
        widgets = {
            "name": forms.TextInput(
                attrs={"data-testid": "preset-name", "placeholder": "Preset name"}
            ),
            "description": forms.TextInput(
                attrs={"data-testid": "preset-description", "placeholder": "Description (optional)"}
            ),
        }
        error_messages = {"name": {"required": "Name the preset to save it."}}


class PresetImportForm(forms.Form):
    """A preset file to import (the format of playground/preset_files.py)."""

    file = forms.FileField(
        label="Preset file (JSON)",
        help_text=f"Up to {MAX_FILE_BYTES // 1024 // 1024} MB.",
        widget=forms.ClearableFileInput(
            attrs={"accept": ".json,application/json", "data-testid": "import-file"}
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        # Checked before the file is read, so an oversized upload never reaches memory.
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(too_large_message(upload.size))
        return upload


class ApiKeyForm(forms.Form):
    """A person's own OpenRouter key to add. The key is never rendered back into the page."""

    label = forms.CharField(
        max_length=ApiKey._meta.get_field("label").max_length,
        help_text="A name to pick the key by, e.g. “work” or “personal”.",
        widget=forms.TextInput(attrs={"data-testid": "key-label", "autocomplete": "off"}),
    )
    key = forms.CharField(
        label="OpenRouter API key",
        min_length=8,
        max_length=300,
        # PasswordInput leaves the value out when the form comes back with errors.
        widget=forms.PasswordInput(
            render_value=False,
            attrs={"data-testid": "key-secret", "autocomplete": "off", "spellcheck": "false"},
        ),
        error_messages={"required": "Paste the key from openrouter.ai/settings/keys."},
    )

    def __init__(self, *args, owner, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner = owner

    def clean_label(self):
        label = self.cleaned_data["label"]
        if ApiKey.objects.filter(owner=self.owner, label=label).exists():
            raise forms.ValidationError("You already have a key with this label.")
        return label

    def clean_key(self):
        key = self.cleaned_data["key"]
        if any(character.isspace() for character in key):
            raise forms.ValidationError("A key has no spaces or line breaks: paste it again.")
        return key

    def clean(self):
        cleaned = super().clean()
        label, key = cleaned.get("label"), cleaned.get("key")
        # The label is shown on every page that names the key, and this form itself would
        # show it again: the field comes back empty.
        if label and key and shares_key_material(label, key):
            self.add_error("label", "The label must not contain the key.")
            self.data = self.data.copy()
            self.data["label"] = ""
        return cleaned
