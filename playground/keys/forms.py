"""The form that adds a person's own OpenRouter key."""

from django import forms

from playground.keys.api_keys import shares_key_material
from playground.models import ApiKey


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
