from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm

from playground import throttle
from playground.keys import shares_key_material
from playground.models import ApiKey, Preset
from playground.preset_files import MAX_FILE_BYTES, too_large_message


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
