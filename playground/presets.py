"""Presets: named compare setups with a version per saved change."""

from typing import Any

from django.db import transaction
from django.db.models import Max

from playground.models import Preset, PresetVersion


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
