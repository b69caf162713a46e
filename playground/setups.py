"""A compare setup: what a preset stores, a run starts from and a share shows.

The setup format (also the `setup` of each preset in an export file):

    {"prompt": "…", "instructions": "…",
     "parameters": {"temperature": 0.7, "max_output_tokens": 500, "reasoning_effort": "low"},
     "columns": [{"model": "openai/gpt-5"}, {"model": "anthropic/claude-sonnet-4.5"}]}

Parameters left to the model's default are null. Validation is the compare form's
(`SetupForm`), so a setup that is stored can always be opened and run.
"""

from typing import Any

from django.utils.datastructures import MultiValueDict

PARAMETERS = ("temperature", "max_output_tokens", "reasoning_effort")


def setup_from_values(
    *, prompt: str, instructions: str, parameters: dict[str, Any], models: list[str]
) -> dict[str, Any]:
    return {
        "prompt": prompt,
        "instructions": instructions,
        "parameters": {name: _or_none(parameters.get(name)) for name in PARAMETERS},
        "columns": [{"model": model} for model in models],
    }


def _or_none(value: Any) -> Any:
    # A blank form field means the model's default; 0 (a temperature) is a real value.
    return None if value in ("", None) else value


def setup_from_run(run) -> dict[str, Any]:
    return setup_from_values(
        prompt=run.prompt,
        instructions=run.instructions,
        parameters={name: getattr(run, name) for name in PARAMETERS},
        models=list(run.columns.values_list("model", flat=True)),
    )


def setup_from_cleaned(cleaned: dict[str, Any]) -> dict[str, Any]:
    """The setup of a valid SetupForm."""
    return setup_from_values(
        prompt=cleaned["prompt"],
        instructions=cleaned["instructions"],
        parameters={name: cleaned[name] for name in PARAMETERS},
        models=cleaned["models"],
    )


def setup_initial(setup: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The compare form's initial values and the column models of a stored setup."""
    parameters = setup.get("parameters") or {}
    initial = {
        "prompt": setup.get("prompt", ""),
        "instructions": setup.get("instructions", ""),
        **{name: parameters.get(name) for name in PARAMETERS},
    }
    return initial, [column["model"] for column in setup.get("columns", [])]


def setup_validate(setup: Any) -> tuple[dict[str, Any] | None, dict[str, list[str]]]:
    """Checks a setup from outside (an import file): the normalized setup, or the errors
    keyed by field ("prompt", "parameters.temperature", "columns[2].model", "setup")."""
    from playground.forms import SetupForm

    if not isinstance(setup, dict):
        return None, {"setup": ["must be an object"]}
    errors: dict[str, list[str]] = {}
    data = MultiValueDict()
    for name in ("prompt", "instructions"):
        value = setup.get(name, "")
        if isinstance(value, str):
            data[name] = value
        else:
            errors[name] = ["must be a string"]
    parameters = setup.get("parameters")
    if parameters is None:
        parameters = {}
    if not isinstance(parameters, dict):
        errors["parameters"] = ["must be an object"]
        parameters = {}
    for name in PARAMETERS:
        value = parameters.get(name)
        if value is None:
            data[name] = ""
        elif isinstance(value, bool) or not isinstance(value, (int, float, str)):
            errors[f"parameters.{name}"] = ["must be a number or a string"]
        else:
            data[name] = str(value)
    columns = setup.get("columns")
    if not isinstance(columns, list):
        errors["columns"] = ['must be a list of {"model": "…"} objects']
        columns = []
    models = []
    for number, column in enumerate(columns):
        model = column.get("model") if isinstance(column, dict) else None
        if not isinstance(model, str):
            errors[f"columns[{number}].model"] = ["must be a string"]
        models.append(model if isinstance(model, str) else "")
    data.setlist("models", models)
    if errors:
        return None, errors

    form = SetupForm(data)
    if not form.is_valid():
        for field, messages in form.errors.items():
            name = f"parameters.{field}" if field in PARAMETERS else field
            errors["columns" if name == "__all__" else name] = list(messages)
        return None, errors
    return setup_from_cleaned(form.cleaned_data), {}
