"""The rules of a setup that need the catalog, the estimate or the budget: what the
columns' models take and can do, and whether the worst case of a run fits its budget.

A service, called by the compare form (forms.py) with its catalog: `CatalogRules` for
the rules rules.py applies column by column as it checks a setup, `run_rules_check` for
those a run (or its estimate) adds once the setup is valid.
"""

from dataclasses import dataclass, field
from typing import Any

from playground.openrouter import ModelEndpoint, ModelInfo
from playground.setups import format as setups
from playground.setups.estimates import RunEstimate, run_estimate
from playground.setups.rules import Problem, column_label


def offered_parameters(info: ModelInfo | None) -> frozenset[str]:
    """The parameters a model takes, from the catalog's `supported_parameters`; every one
    when the model is unknown or its entry lists none."""
    if info is None or not info.supported_parameters:
        return frozenset(setups.PARAMETERS)
    return frozenset(
        name
        for name, support in setups.SUPPORT_NAMES.items()
        if support in info.supported_parameters
    )


def context_message(label: str, max_output: int, context: int) -> str:
    return (
        f"{label}: max output tokens {max_output:,} is more than the model's context of "
        f"{context:,} tokens."
    )


class CatalogRules:
    """What the catalog's entry of each column's model decides while a setup is checked
    (rules.ColumnCatalog): the parameters a column may set for itself, and output
    tokens within the model's context. A model the catalog lacks takes everything."""

    def __init__(self, models_by_id: dict[str, ModelInfo]):
        self.models_by_id = models_by_id

    def column_problems(
        self, position: int, model: str, typed: dict[str, Any], parsed: dict[str, Any]
    ) -> list[tuple[str, str]]:
        """(field, message) of a column's own settings its model refuses."""
        info = self.models_by_id.get(model)
        label = column_label(position, model)
        offered = offered_parameters(info if model else None)
        problems = [
            (
                name,
                f"{label} does not support {setups.PARAMETER_LABELS[name].lower()}: "
                "clear it or pick another model.",
            )
            for name in setups.PARAMETERS
            if name not in offered and str(typed.get(name) or "").strip()
        ]
        max_output = parsed.get("max_output_tokens")
        context = info.context_length if info else None
        if max_output is not None and context is not None and max_output > context:
            problems.append(("max_output_tokens", context_message(label, max_output, context)))
        return problems

    def setup_problems(self, setup: dict[str, Any], position: int) -> list[Problem]:
        """What only the whole setup shows of column `position`: the run's max output
        tokens beyond its model's context."""
        column = setup["columns"][position]
        info = self.models_by_id.get(column["model"])
        max_output = setups.column_parameters(setup, position)["max_output_tokens"]
        context = info.context_length if info else None
        if max_output is not None and context is not None and max_output > context:
            label = column_label(position, column["model"])
            message = context_message(label, max_output, context)
            return [Problem("parameters.max_output_tokens", message, field="max_output_tokens")]
        return []


@dataclass
class RunRules:
    """What run_rules_check found: problems (refusing the run), notes (said, not
    refusing) and the estimate, when the setup got that far."""

    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    estimate: RunEstimate | None = None


def run_rules_check(
    *,
    models: list[str],
    setup: dict[str, Any] | None,
    catalog: list[ModelInfo],
    catalog_error: str = "",
    purpose: str = "run",
    blocked: bool = False,
) -> RunRules:
    """The rules a run adds to a setup's: models the catalog offers (fallbacks too),
    models that read the images, and a worst case within the budget. `models`: the
    columns' as typed; `setup`: the valid setup, or None; `purpose` as RunForm's;
    `blocked`: the setup has other problems, so only the models are checked."""
    found = RunRules()
    if catalog_error:
        found.problems.append(Problem("setup", catalog_error))
        return found
    models_by_id = {model.id: model for model in catalog}
    for number, model in enumerate(models, start=1):
        if model not in models_by_id:
            found.problems.append(
                Problem(
                    f"columns[{number - 1}].model", f"Column {number}: unknown model “{model}”."
                )
            )
    if setup is None or blocked or found.problems:
        return found
    for position, column in enumerate(setup["columns"]):
        for model in column["fallback_models"]:
            if model not in models_by_id:
                found.problems.append(
                    Problem(
                        f"columns[{position}].fallback_models",
                        f"{column_label(position, column['model'])}: unknown fallback model "
                        f"“{model}”.",
                    )
                )
    if found.problems:
        return found
    _what_models_lack(setup, models_by_id, purpose, found)
    found.estimate = run_estimate(setup, catalog)
    if setup["web_search"]:
        found.notes.append(
            "Web search is on: OpenRouter charges for it per search or per result, on "
            "top of this estimate."
        )
    if purpose == "run" and (problem := found.estimate.budget_problem()):
        found.problems.append(Problem("budget", problem, field="budget"))
    return found


def _what_models_lack(
    setup: dict[str, Any], models_by_id: dict[str, ModelInfo], purpose: str, found: RunRules
) -> None:
    """What a column's model cannot do of what the run asks. Images it cannot read
    refuse the run: an answer without them would not be comparable. Tools and a schema
    are sent (the column shows what OpenRouter answers); run parameters a model does not
    take are sent too, and OpenRouter ignores them."""
    for position, column in enumerate(setup["columns"]):
        info = models_by_id[column["model"]]
        label = column_label(position, column["model"])
        if setup["images"] and not info.image_input:
            message = (
                f"{label} does not read images: remove the images, or pick a model "
                "with image input."
            )
            if purpose == "run":
                found.problems.append(Problem("images", message))
            else:
                found.notes.append(message)
        if setup["tools"] and not info.tools:
            found.notes.append(
                f"{label} does not support tools: OpenRouter will find no endpoint for the request."
            )
        if setup["structured_output"] and not info.structured_output:
            found.notes.append(
                f"{label} does not support structured output: the schema may be ignored."
            )
        offered = offered_parameters(info)
        effective = setups.column_parameters(setup, position)
        ignored = [
            setups.PARAMETER_LABELS[name].lower()
            for name, value in effective.items()
            if value is not None and name not in offered
        ]
        if ignored:
            found.notes.append(f"{label} takes no {', '.join(ignored)}: it ignores them.")


def provider_notes(
    setup: dict[str, Any], endpoints: dict[str, list[ModelEndpoint] | None]
) -> list[str]:
    """What a column's routing names that none of its models' endpoints is (`endpoints`:
    who serves each model, None when unknown). OpenRouter passes over such a slug; in
    `only` with no known one beside it, it finds no endpoint at all."""
    notes = []
    for position, column in enumerate(setup["columns"]):
        routing = column["routing"]
        served = [endpoints.get(model) for model in [column["model"], *column["fallback_models"]]]
        if not any(routing.get(name) for name in setups.PROVIDER_LISTS) or None in served:
            continue
        known = [endpoint for found in served for endpoint in found or []]
        offered = ", ".join(
            dict.fromkeys(endpoint.tag or endpoint.provider_name for endpoint in known)
        )
        label = column_label(position, column["model"])
        for name in setups.PROVIDER_LISTS:
            slugs = routing.get(name) or []
            unknown = [slug for slug in slugs if not any(e.answers_to(slug) for e in known)]
            if not unknown:
                continue
            names = ", ".join(f"“{slug}”" for slug in unknown)
            if name == "only" and len(unknown) == len(slugs):
                outcome = "OpenRouter will find no endpoint for the request"
            elif name == "ignore":
                outcome = "there is nothing to ignore"
            else:
                outcome = f"OpenRouter passes over {'them' if len(unknown) > 1 else 'it'}"
            several = len(served) > 1
            notes.append(
                f"{label}: no endpoint of its model{'s' if several else ''} is served by "
                f"{names} (provider {name}), so {outcome}. "
                f"{'They are' if several else 'It is'} served by: {offered or 'none'}."
            )
    return notes
