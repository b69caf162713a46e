"""Presets: named compare setups with a version per saved change.

A version is never edited or removed: saving, restoring and importing all add a version,
so the history always shows how a preset came to be.
"""

import difflib
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, ProhibitNullCharactersValidator
from django.db import transaction
from django.db.models import Max
from django.utils.text import Truncator

from playground.models import Preset, PresetVersion
from playground.setups.format import (
    PARAMETER_LABELS,
    PARAMETERS,
    column_describe,
    setup_features,
    setup_normalize,
)

NAME_MAX_CHARS = Preset._meta.get_field("name").max_length
DESCRIPTION_MAX_CHARS = Preset._meta.get_field("description").max_length
NOTE_MAX_CHARS = PresetVersion._meta.get_field("note").max_length


def preset_fields_validate(
    *, name: str, description: str
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """A preset's name and description as they are saved (trimmed), or their problems by
    field, in the words the rename form uses: a required name, the model's lengths and
    no NUL characters (which PostgreSQL cannot store)."""
    cleaned = {"name": name.strip(), "description": description.strip()}
    limits = {"name": NAME_MAX_CHARS, "description": DESCRIPTION_MAX_CHARS}
    errors: dict[str, list[str]] = {}
    if not cleaned["name"]:
        errors["name"] = ["This field is required."]
    for field, value in cleaned.items():
        if field in errors:
            continue
        for validator in (MaxLengthValidator(limits[field]), ProhibitNullCharactersValidator()):
            try:
                validator(value)
            except ValidationError as error:
                errors.setdefault(field, []).extend(error.messages)
    return cleaned, errors


def preset_create(
    *, owner, name: str, description: str = "", setup: dict[str, Any], note: str = ""
) -> Preset:
    with transaction.atomic():
        preset = Preset.objects.create(owner=owner, name=name, description=description)
        PresetVersion.objects.create(preset=preset, number=1, setup=setup, note=note)
    return preset


def preset_save_version(*, preset: Preset, setup: dict[str, Any], note: str = "") -> PresetVersion:
    """Stores `setup` as the preset's next version (numbers never repeat or go back)."""
    with transaction.atomic():
        last = preset.versions.aggregate(last=Max("number"))["last"] or 0
        version = PresetVersion.objects.create(
            preset=preset, number=last + 1, setup=setup, note=note
        )
        preset.save(update_fields=["updated_at"])
    return version


def preset_rename(*, preset: Preset, name: str, description: str) -> Preset:
    """Changes what the preset is called; its setup and history stay as they are."""
    preset.name = name
    preset.description = description
    preset.save(update_fields=["name", "description", "updated_at"])
    return preset


def preset_duplicate(*, preset: Preset) -> Preset:
    """A new preset of the same owner, starting from the latest setup as its version 1."""
    latest = preset.latest_version
    return preset_create(
        owner=preset.owner,
        name=Truncator(f"Copy of {preset.name}").chars(NAME_MAX_CHARS),
        description=preset.description,
        setup=latest.setup,
        note=Truncator(f"Copied from version {latest.number} of “{preset.name}”").chars(
            NOTE_MAX_CHARS
        ),
    )


def preset_restore(*, preset: Preset, version: PresetVersion) -> PresetVersion:
    """Brings back an older setup as the newest version, keeping every version between."""
    return preset_save_version(
        preset=preset, setup=version.setup, note=f"Restored from version {version.number}"
    )


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "hunk", "context", "added" or "removed"
    text: str


@dataclass(frozen=True)
class TextDiff:
    label: str
    changed: bool
    lines: list[DiffLine]


@dataclass(frozen=True)
class ValueChange:
    label: str
    before: Any
    after: Any

    @property
    def changed(self) -> bool:
        return self.before != self.after


@dataclass(frozen=True)
class SetupDiff:
    texts: list[TextDiff]
    parameters: list[ValueChange]
    columns: list[ValueChange]

    @property
    def changed(self) -> bool:
        return (
            any(text.changed for text in self.texts)
            or any(value.changed for value in self.parameters)
            or any(value.changed for value in self.columns)
        )


def _text_diff(label: str, before: str, after: str) -> TextDiff:
    lines = []
    for line in difflib.unified_diff(before.splitlines(), after.splitlines(), n=3, lineterm=""):
        if line.startswith(("---", "+++")):
            continue  # file headers: there are no file names to show
        if line.startswith("@@"):
            lines.append(DiffLine("hunk", line))
        elif line.startswith("+"):
            lines.append(DiffLine("added", line[1:]))
        elif line.startswith("-"):
            lines.append(DiffLine("removed", line[1:]))
        else:
            lines.append(DiffLine("context", line[1:]))
    return TextDiff(label=label, changed=before != after, lines=lines)


def setup_diff(*, before: dict[str, Any], after: dict[str, Any]) -> SetupDiff:
    """Field by field: the prompt and instructions line by line; each parameter and each
    other setting (tools, web search, schema, images, budget) as its value before and
    after; each column (by position) as its model and own settings in words."""
    before, after = setup_normalize(before), setup_normalize(after)
    before_columns = [_column_text(column) for column in before["columns"]]
    after_columns = [_column_text(column) for column in after["columns"]]
    columns = []
    for position in range(max(len(before_columns), len(after_columns))):
        columns.append(
            ValueChange(
                label=f"Column {position + 1}",
                before=before_columns[position] if position < len(before_columns) else None,
                after=after_columns[position] if position < len(after_columns) else None,
            )
        )
    before_features, after_features = dict(setup_features(before)), dict(setup_features(after))
    features = [
        ValueChange(
            label=label,
            before=before_features.get(label, "none"),
            after=after_features.get(label, "none"),
        )
        for label in dict.fromkeys([*before_features, *after_features])
    ]
    return SetupDiff(
        texts=[
            _text_diff("Prompt", before["prompt"], after["prompt"]),
            _text_diff("Instructions", before["instructions"], after["instructions"]),
        ],
        parameters=[
            ValueChange(
                label=PARAMETER_LABELS[name],
                before=before["parameters"][name],
                after=after["parameters"][name],
            )
            for name in PARAMETERS
        ]
        + [
            ValueChange(
                label="Same settings for all columns",
                before="yes" if before["same_settings"] else "no",
                after="yes" if after["same_settings"] else "no",
            )
        ]
        + features,
        columns=columns,
    )


def _column_text(column: dict[str, Any]) -> str:
    details = column_describe(column)
    return f"{column['model']} ({details})" if details else column["model"]
