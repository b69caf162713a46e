"""Preset files: exporting presets as JSON and importing them back.

The format (version 1), documented for people in docs/preset-files.md:

    {
      "format": "model-playground.presets",
      "version": 1,
      "exported_at": "2025-06-01T12:00:00+00:00",
      "presets": [
        {"name": "…", "description": "…", "setup": {…the setup format of setups.py…}}
      ]
    }

A file holds one preset or many; each carries its latest setup, not its history. An import
is all or nothing: every preset is checked first, each problem is reported with the preset
and the field it concerns, and only a file without problems saves anything. Imported
presets belong to the importer, as new presets (version 1 is the imported setup); names
may repeat those of existing presets.
"""

import json
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.text import Truncator

from playground.models import Preset
from playground.presets.versions import NOTE_MAX_CHARS, preset_create, preset_fields_validate
from playground.setups.validation import setup_validate

FORMAT = "model-playground.presets"
VERSION = 1
# A setup's uploaded images (at most 4 of 5 MB, as base64 data: URLs) take up to 27 MB
# and its longest prompt (100,000 characters) 400 kB of UTF-8: a file this size holds the
# largest preset, or hundreds of ordinary ones, and is still read into memory at once.
MAX_FILE_BYTES = 32 * 1024 * 1024
MAX_PRESETS = 500
PRESET_KEYS = ("name", "description", "setup")
FILE_KEYS = ("format", "version", "exported_at", "presets")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an import file: where ("File", "Preset 2 (“Name”)", or empty
    for the file as a whole), which field (a path such as "parameters.temperature"), what."""

    where: str
    field: str
    message: str

    def __str__(self) -> str:
        place = ", ".join(part for part in (self.where, self.field) if part)
        return f"{place}: {self.message}" if place else self.message


class PresetFileError(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(str(problem) for problem in problems))
        self.problems = problems


def presets_export(*, presets: list[Preset]) -> dict[str, Any]:
    """The file's content for these presets, each with its latest setup."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": timezone.now().isoformat(timespec="seconds"),
        "presets": [
            {
                "name": preset.name,
                "description": preset.description,
                "setup": preset.latest_version.setup,
            }
            for preset in presets
        ],
    }


def presets_export_bytes(*, presets: list[Preset]) -> bytes:
    # Readable and diffable when kept in a repository; non-ASCII text stays as written.
    text = json.dumps(presets_export(presets=presets), indent=2, ensure_ascii=False)
    return (text + "\n").encode()


def too_large_message(size: int) -> str:
    return (
        f"The file is {filesizeformat(size)}; files up to {filesizeformat(MAX_FILE_BYTES)} "
        "can be imported. Export fewer presets at a time."
    )


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _load(raw: bytes) -> Any:
    if len(raw) > MAX_FILE_BYTES:
        raise PresetFileError([Problem("", "", too_large_message(len(raw)))])
    try:
        # utf-8-sig: some editors save JSON with a byte order mark.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PresetFileError([Problem("", "", "The file is not UTF-8 text.")]) from None
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        message = f"The file is not valid JSON ({error.msg} at {where})."
    except ValueError as error:
        message = f"The file is not valid JSON ({error})."
    except RecursionError:
        message = "The file is not valid JSON (nested too deeply)."
    raise PresetFileError([Problem("", "", message)])


def _check_file(data: Any) -> list[Problem]:
    """Problems with the file as a whole; if there are any, its presets cannot be read."""
    if not isinstance(data, dict):
        return [
            Problem(
                "", "", "The file must be a JSON object with “format”, “version” and “presets”."
            )
        ]
    # Without the right format and version nothing else in the file can be understood.
    if data.get("format") != FORMAT:
        return [Problem("File", "format", f"must be “{FORMAT}”: this is not a preset file.")]
    version = data.get("version")
    if version is None:
        return [Problem("File", "version", "This field is required.")]
    if isinstance(version, bool) or not isinstance(version, int):
        return [Problem("File", "version", "must be a whole number.")]
    if version != VERSION:
        return [
            Problem(
                "File",
                "version",
                f"version {version} is not supported; this server reads version {VERSION}.",
            )
        ]
    problems = [Problem("File", key, "unknown field.") for key in data if key not in FILE_KEYS]
    presets = data.get("presets")
    if not isinstance(presets, list):
        problems.append(Problem("File", "presets", "must be a list of presets."))
    elif not presets:
        problems.append(Problem("File", "presets", "the file has no presets to import."))
    elif len(presets) > MAX_PRESETS:
        problems.append(
            Problem(
                "File",
                "presets",
                f"the file has {len(presets)} presets; "
                f"at most {MAX_PRESETS} can be imported at once.",
            )
        )
    return problems


def _where(number: int, item: Any) -> str:
    name = item.get("name") if isinstance(item, dict) else None
    if isinstance(name, str) and name.strip():
        return f"Preset {number} (“{Truncator(name.strip()).chars(60)}”)"
    return f"Preset {number}"


def _check_preset(number: int, item: Any) -> tuple[dict[str, Any] | None, list[Problem]]:
    """A preset of the file as it will be saved, or its problems."""
    where = _where(number, item)
    if not isinstance(item, dict):
        return None, [
            Problem(where, "", "must be an object with “name”, “description” and “setup”.")
        ]
    problems = [Problem(where, key, "unknown field.") for key in item if key not in PRESET_KEYS]
    fields = {}
    for key in ("name", "description"):
        value = item.get(key, "")
        if isinstance(value, str):
            fields[key] = value
        else:
            problems.append(Problem(where, key, "must be a string."))
    cleaned, field_errors = preset_fields_validate(
        name=fields.get("name", ""), description=fields.get("description", "")
    )
    for field, messages in field_errors.items():
        if field in fields:
            problems.extend(Problem(where, field, message) for message in messages)
    if "setup" in item:
        setup, errors = setup_validate(item["setup"])
    else:
        setup, errors = None, {"setup": ["This field is required."]}
    for field, messages in errors.items():
        problems.extend(Problem(where, field, message) for message in messages)
    if problems:
        return None, problems
    return {**cleaned, "setup": setup}, []


def preset_file_read(raw: bytes) -> list[dict[str, Any]]:
    """The presets of an import file (name, description, normalized setup), every one
    valid, or PresetFileError listing every problem found."""
    data = _load(raw)
    problems = _check_file(data)
    if problems:
        raise PresetFileError(problems)
    presets = []
    for number, item in enumerate(data["presets"], start=1):
        preset, item_problems = _check_preset(number, item)
        problems.extend(item_problems)
        presets.append(preset)
    if problems:
        raise PresetFileError(problems)
    return presets


def presets_import(*, owner, raw: bytes, filename: str = "") -> list[Preset]:
    """Saves every preset of the file as a new preset of `owner`, or none of them."""
    items = preset_file_read(raw)
    note = "Imported" + (f" from “{filename}”" if filename else "")
    note = Truncator(note).chars(NOTE_MAX_CHARS)
    created = []
    with transaction.atomic():
        # Last first, so the presets list (newest first) shows them in the file's order.
        for item in reversed(items):
            created.append(preset_create(owner=owner, note=note, **item))
    return created[::-1]
