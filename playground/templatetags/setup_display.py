"""How pages that show a setup (a preset, a shared link) describe it, whatever its version."""

from typing import Any

from django import template

from playground.setups.format import (
    PARAMETER_LABELS,
    PARAMETERS,
    column_describe,
    setup_features,
    setup_normalize,
)

register = template.Library()


@register.simple_tag
def setup_view(setup: dict[str, Any]) -> dict[str, Any]:
    """A setup as the summary shows it: the parameters set, in words,
    each column with its own settings in words, and what else it asks for."""
    setup = setup_normalize(setup or {})
    return {
        "prompt": setup["prompt"],
        "instructions": setup["instructions"],
        "parameters": " · ".join(
            f"{PARAMETER_LABELS[name].lower()} {setup['parameters'][name]}"
            for name in PARAMETERS
            if setup["parameters"][name] is not None
        )
        or "the models' defaults",
        "same_settings": setup["same_settings"],
        "columns": [
            {"model": column["model"], "details": column_describe(column)}
            for column in setup["columns"]
        ],
        "features": setup_features(setup),
    }
