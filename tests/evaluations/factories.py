"""Datasets and evaluations for the tests, made as a person would make them."""

import json

from playground.models import Dataset, Evaluation
from playground.setups.format import setup_from_values


def a_dataset(owner, rows=None, *, name="Capitals", columns=("country", "expected")) -> Dataset:
    rows = rows or [
        {"country": "France", "expected": "France"},
        {"country": "the country whose capital is Canberra", "expected": "Canberra"},
        {"country": "Portugal", "expected": "Lisbon"},
    ]
    return Dataset.objects.create(owner=owner, name=name, columns=list(columns), rows=rows)


def a_setup(models=("demo/swift", "demo/echo"), prompt="Capital of {{country}}? One word."):
    return setup_from_values(prompt=prompt, instructions="", parameters={}, models=list(models))


def start_evaluation(
    client, dataset, *, setup=None, checks=(("icontains", "{{expected}}"),), **fields
):
    """POSTs the new-evaluation form as its Start button does."""
    data = {
        "setup": json.dumps(setup or a_setup()),
        "dataset": str(dataset.pk),
        "check_type": [kind for kind, _ in checks],
        "check_value": [value for _, value in checks],
        "start": "1",
        **fields,
    }
    return client.post("/evaluations/new/", data)


def latest_evaluation() -> Evaluation:
    return Evaluation.objects.latest("pk")


def a_finished_evaluation(owner, dataset=None, *, passed=(True, False)) -> Evaluation:
    """An evaluation as stored once every cell answered: one finished run per cell,
    `passed` saying, per row, whether its cells passed their check."""
    from tests.factories import a_finished_run

    dataset = dataset or a_dataset(owner)
    setup = a_setup()
    rows = dataset.rows[: len(passed)]
    evaluation = Evaluation.objects.create(
        owner=owner,
        name=f"{dataset.name}: 2 models",
        dataset=dataset,
        dataset_name=dataset.name,
        setup=setup,
        rows=rows,
        checks=[{"type": "icontains", "value": "{{expected}}"}],
        key_source="demo",
        status=Evaluation.Status.DONE,
    )
    for number, (row, ok) in enumerate(zip(rows, passed, strict=True), 1):
        for position, model in enumerate(evaluation.models):
            run = a_finished_run(owner, models=(model,), prompt=f"Capital of {row['country']}?")
            run.evaluation = evaluation
            run.save(update_fields=["evaluation"])
            result = {
                "type": "icontains",
                "value": row["expected"],
                "passed": ok,
                "reason": "" if ok else f"The answer does not contain “{row['expected']}”.",
            }
            evaluation.cells.create(
                row=number,
                position=position,
                model=model,
                column=run.columns.get(),
                status="done",
                checks=[result],
                checks_total=1,
                checks_passed=int(ok),
            )
    return evaluation
