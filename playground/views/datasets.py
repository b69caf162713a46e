"""`/datasets/`: a person's tables of cases for evaluations: the list, a new one, a file
imported, one dataset's table edited in the browser, its export and its deletion."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.text import slugify

from playground.evaluations.datasets import (
    MAX_DESCRIPTION_CHARS,
    Edit,
    dataset_create,
    dataset_name_problem,
    dataset_save,
    demo_dataset,
    table_edit,
)
from playground.evaluations.tables import (
    Table,
    TableError,
    import_size_problem,
    parse_table_file,
    table_csv,
    table_jsonl,
)
from playground.models import Dataset
from playground.upstream.connection import key_source_for
from playground.views.common import number_or_404, refuse_method, without_nul

EXPORTS = {"csv": "text/csv", "jsonl": "application/jsonl"}


def dataset_for(request, dataset_id) -> Dataset:
    """The person's own dataset, or 404."""
    return get_object_or_404(Dataset, pk=number_or_404(dataset_id), owner=request.user)


@login_required
def dataset_list(request):
    if refused := refuse_method(request, "GET"):
        return refused
    datasets = Dataset.objects.filter(owner=request.user)
    if not datasets.exists() and key_source_for(request.user) == "demo":
        # The demo ships with one, so an evaluation can be tried at once.
        demo_dataset(request.user)
    datasets = datasets.annotate(evaluation_count=Count("evaluations")).order_by("name", "pk")
    return render(request, "playground/datasets/list.html", {"datasets": datasets})


@login_required
def dataset_new(request):
    if refused := refuse_method(request, "POST"):
        return refused
    name = without_nul(request.POST.get("name", "")).strip() or "New dataset"
    dataset = dataset_create(owner=request.user, name=name)
    return redirect(dataset)


@login_required
def dataset_import(request):
    """A CSV or JSONL file as a new dataset; a file with any problem saves nothing and
    is answered with every problem, by row and column."""
    if refused := refuse_method(request, "POST"):
        return refused
    upload = request.FILES.get("file")
    problems = []
    if upload is None:
        problems = ["Choose a CSV or JSONL file to import."]
    elif problem := import_size_problem(upload.size):
        problems = [problem]
    else:
        try:
            table = parse_table_file(upload.name, upload.read())
        except TableError as error:
            problems = error.problems
    if problems:
        datasets = Dataset.objects.filter(owner=request.user).annotate(
            evaluation_count=Count("evaluations")
        )
        context = {"datasets": datasets, "import_problems": problems}
        return render(request, "playground/datasets/list.html", context, status=400)
    name = without_nul(request.POST.get("name", "")).strip()
    stem = upload.name.rsplit(".", 1)[0]
    dataset = dataset_create(owner=request.user, name=name or stem, table=table)
    messages.success(request, f"Imported {len(table.rows)} rows into “{dataset.name}”.")
    return redirect(dataset)


@login_required
def dataset_detail(request, dataset_id: int):
    """The table, edited in place: every change (a cell, a name, a row or a column added
    or removed) is saved as a whole when it is valid, and refused with its problems when
    not, keeping what was typed."""
    dataset = dataset_for(request, dataset_id)
    if refused := refuse_method(request, "GET", "POST"):
        return refused
    context = {
        "dataset": dataset,
        "columns": dataset.columns,
        "rows": _rows(dataset.columns, dataset.rows),
    }
    if request.method == "POST":
        name = without_nul(request.POST.get("name", "")).strip()
        description = without_nul(request.POST.get("description", ""))[:MAX_DESCRIPTION_CHARS]
        columns = [without_nul(c).strip() for c in request.POST.getlist("column")]
        cells = [without_nul(c) for c in request.POST.getlist("cell")]
        problems = []
        if problem := dataset_name_problem(name, owner=request.user, dataset=dataset):
            problems.append(problem)
        try:
            table = table_edit(columns, cells, _edit(request.POST.get("action", "")))
            shown_columns, shown_rows = table.columns, _rows(table.columns, table.rows)
        except TableError as error:
            problems += error.problems
            shown_columns, shown_rows = columns, _typed_rows(columns, cells)
        if not problems:
            dataset_save(dataset, name=name, description=description, table=table)
            return redirect(dataset)
        context |= {
            "problems": problems,
            "name": name,
            "description": description,
            "columns": shown_columns,
            "rows": shown_rows,
        }
        return render(request, "playground/datasets/detail.html", context, status=400)
    return render(request, "playground/datasets/detail.html", context)


def _rows(columns: list[str], rows: list[dict]) -> list[list[str]]:
    return [[row.get(name, "") for name in columns] for row in rows]


def _typed_rows(columns: list[str], cells: list[str]) -> list[list[str]]:
    """The editor's cells as typed, row by row, the last one filled up when it arrived
    short. Not through dicts: two columns of one name would show one's cells twice."""
    width = len(columns)
    if not width:
        return []
    return [
        (cells[start : start + width] + [""] * width)[:width]
        for start in range(0, len(cells), width)
    ]


def _edit(action: str) -> Edit:
    """The editor's button: "save", "add-row", "add-column", "remove-row:3"…"""
    kind, _, index = action.partition(":")
    if kind in ("add-row", "add-column"):
        return Edit(kind)
    if kind in ("remove-row", "remove-column") and index.isdigit() and len(index) < 6:
        return Edit(kind, int(index))
    return Edit()


@login_required
def dataset_export(request, dataset_id: int, kind: str):
    dataset = dataset_for(request, dataset_id)
    if refused := refuse_method(request, "GET"):
        return refused
    if kind not in EXPORTS:
        raise Http404
    table = Table(dataset.columns, dataset.rows)
    body = table_csv(table) if kind == "csv" else table_jsonl(table)
    response = HttpResponse(body, content_type=f"{EXPORTS[kind]}; charset=utf-8")
    filename = f"{slugify(dataset.name) or 'dataset'}.{kind}"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


@login_required
def dataset_delete(request, dataset_id: int):
    dataset = dataset_for(request, dataset_id)
    if refused := refuse_method(request, "GET", "POST"):
        return refused
    if request.method == "POST":
        name = dataset.name
        dataset.delete()
        messages.success(
            request, f"Deleted the dataset “{name}”; its evaluations keep their cases."
        )
        return redirect("datasets")
    return render(request, "playground/datasets/delete.html", {"dataset": dataset})
