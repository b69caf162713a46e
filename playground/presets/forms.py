"""The forms that name, save and import presets."""

from django import forms

from playground.models import Preset
from playground.presets.files import MAX_FILE_BYTES, too_large_message


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
    """A preset file to import (the format of playground/presets/files.py)."""

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
