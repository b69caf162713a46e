"""What an evaluation's page, its exports and a comparison of two show: the cells as
rows and columns, each column's summary, the progress, and what changed between two."""

import statistics
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.utils import timezone

from playground.core.formatting import plain_decimal
from playground.evaluations.checks import CHECK_LABELS
from playground.models import Evaluation, EvaluationCell, RunColumn

# What a cell's answer shows before it is expanded.
EXCERPT_CHARS = 280
SORTS = ("pass_rate", "cost", "latency")


def evaluation_cells(evaluation: Evaluation, *, since: datetime | None = None):
    """The cells with their generations (without the raw stream, which only the
    inspector reads), in row and column order; with `since`, those changed after it."""
    cells = evaluation.cells.select_related("column").defer(
        "column__events", "column__response", "column__response_headers", "column__request_body"
    )
    if since is not None:
        cells = cells.filter(updated_at__gt=since)
    return list(cells.order_by("row", "position"))


@dataclass
class ColumnSummary:
    position: int
    model: str
    cells: int = 0
    finished: int = 0
    passed: int = 0
    errors: int = 0
    cost: Decimal = Decimal(0)
    costed: int = 0
    judge_cost: Decimal = Decimal(0)
    latencies: list[int] = field(default_factory=list)

    @property
    def pass_rate(self) -> float | None:
        """Of the cells finished; None before any finished."""
        return self.passed / self.finished if self.finished else None

    @property
    def pass_rate_display(self) -> str:
        rate = self.pass_rate
        return "—" if rate is None else f"{rate:.0%}"

    @property
    def cost_number(self) -> str:
        return plain_decimal(self.cost) or "0"

    @property
    def judge_cost_number(self) -> str:
        return plain_decimal(self.judge_cost) or "0"

    @property
    def mean_cost(self) -> Decimal | None:
        return self.cost / self.costed if self.costed else None

    @property
    def median_ms(self) -> float | None:
        return statistics.median(self.latencies) if self.latencies else None

    @property
    def p95_ms(self) -> float | None:
        """The 95th percentile of the total times (nearest rank)."""
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        return ordered[max(0, -(-95 * len(ordered) // 100) - 1)]

    def as_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "cells": self.cells,
            "finished": self.finished,
            "passed": self.passed,
            "errors": self.errors,
            "pass_rate": self.pass_rate,
            "cost": plain_decimal(self.cost),
            "mean_cost": plain_decimal(self.mean_cost),
            "judge_cost": plain_decimal(self.judge_cost),
            "median_ms": self.median_ms,
            "p95_ms": self.p95_ms,
        }


def column_summaries(evaluation: Evaluation, cells: list[EvaluationCell]) -> list[ColumnSummary]:
    summaries = [ColumnSummary(position, model) for position, model in enumerate(evaluation.models)]
    for cell in cells:
        summary = summaries[cell.position]
        summary.cells += 1
        if cell.judge_cost is not None:
            summary.judge_cost += cell.judge_cost
        if not cell.is_finished:
            continue
        summary.finished += 1
        summary.passed += cell.passed
        summary.errors += cell.status == EvaluationCell.Status.ERROR
        column = cell.column
        if column is not None and column.cost is not None:
            summary.cost += column.cost
            summary.costed += 1
        if column is not None and column.total_ms is not None and column.answered:
            summary.latencies.append(column.total_ms)
    return summaries


def sorted_summaries(summaries: list[ColumnSummary], sort: str) -> list[ColumnSummary]:
    """Best first: the highest pass rate, the lowest cost, the lowest median latency."""
    if sort == "pass_rate":
        return sorted(summaries, key=lambda s: -(s.pass_rate or 0))
    if sort == "cost":
        return sorted(summaries, key=lambda s: (s.mean_cost is None, s.mean_cost or 0))
    if sort == "latency":
        return sorted(summaries, key=lambda s: (s.median_ms is None, s.median_ms or 0))
    return summaries


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    cost: Decimal
    judge_cost: Decimal
    seconds_left: float | None

    @property
    def cost_display(self) -> str:
        return f"${plain_decimal(self.cost)}"

    @property
    def judge_cost_display(self) -> str:
        return f"${plain_decimal(self.judge_cost)}"


def evaluation_progress(evaluation: Evaluation, cells: list[EvaluationCell]) -> Progress:
    """Cells finished of all, what every generation of it cost so far (earlier attempts
    of resumed cells and the judge's included: they were billed), and the time left at
    the pace so far."""
    done = sum(cell.is_finished for cell in cells)
    billed = RunColumn.objects.filter(run__evaluation=evaluation).aggregate(total=Sum("cost"))
    judge = sum((cell.judge_cost for cell in cells if cell.judge_cost is not None), Decimal(0))
    left = None
    if evaluation.is_live and evaluation.started_at and done:
        elapsed = (timezone.now() - evaluation.started_at).total_seconds()
        started_done = sum(
            cell.is_finished and cell.updated_at >= evaluation.started_at for cell in cells
        )
        if started_done:
            left = elapsed / started_done * (len(cells) - done)
    return Progress(done, len(cells), billed["total"] or Decimal(0), judge, left)


def grid_rows(
    evaluation: Evaluation, cells: list[EvaluationCell], *, failing: bool, check: int | None
):
    """The rows to show: each case with its cells in column order, keeping only the
    cells that fail (`failing`, or that fail check number `check`)."""
    by_row: dict[int, list[EvaluationCell | None]] = {}
    width = len(evaluation.models)
    for cell in cells:
        by_row.setdefault(cell.row, [None] * width)[cell.position] = cell
    rows = []
    for number, row_cells in sorted(by_row.items()):
        shown = [cell if _kept(cell, failing, check) else None for cell in row_cells]
        if (failing or check is not None) and not any(shown):
            continue
        rows.append({"number": number, "values": evaluation.rows[number - 1], "cells": shown})
    return rows


def _kept(cell: EvaluationCell | None, failing: bool, check: int | None) -> bool:
    if cell is None:
        return False
    if check is not None:
        results = cell.checks
        return check < len(results) and not results[check]["passed"]
    if failing:
        return cell.is_finished and not cell.passed
    return True


def cell_record(cell: EvaluationCell) -> dict[str, Any]:
    """One cell as the exports write it: the case, the answer, its checks, usage and
    timings; the run to inspect. Keys never appear (a run keeps only their last four)."""
    column = cell.column
    return {
        "row": cell.row,
        "model": cell.model,
        "status": cell.status,
        "output": column.output_text if column else "",
        "error": column.error_message if column else "",
        "served_model": column.served_model if column else "",
        "served_provider": column.served_provider if column else "",
        "input_tokens": column.input_tokens if column else None,
        "output_tokens": column.output_tokens if column else None,
        "cost": plain_decimal(column.cost) if column else "",
        "judge_cost": plain_decimal(cell.judge_cost),
        "ttft_ms": column.ttft_ms if column else None,
        "total_ms": column.total_ms if column else None,
        "checks_passed": cell.checks_passed,
        "checks_total": cell.checks_total,
        "passed": cell.passed,
        "checks": cell.checks,
        "run_id": column.run_id if column else None,
    }


def cell_display(record: dict[str, Any], *, position: int) -> dict[str, Any]:
    """A cell record (`cell_record`, or a shared snapshot's) as the grid shows it: the
    answer's excerpt, and each check named."""
    output = record["output"]
    return record | {
        "position": position,
        "finished": record["status"] in EvaluationCell.FINISHED,
        "excerpt": output[:EXCERPT_CHARS],
        "long": len(output) > EXCERPT_CHARS,
        "checks": [
            result | {"label": CHECK_LABELS.get(result["type"], result["type"])}
            for result in record["checks"]
        ],
    }


def shared_grid(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of a shared snapshot's grid, each with its cells in column order."""
    width = len(snapshot["summaries"])
    rows = [
        {"number": number, "values": values, "cells": [None] * width}
        for number, values in enumerate(snapshot["rows"], 1)
    ]
    for record in snapshot["cells"]:
        position = record["position"]
        if 0 < record["row"] <= len(rows) and 0 <= position < width:
            rows[record["row"] - 1]["cells"][position] = cell_display(record, position=position)
    return rows


@dataclass(frozen=True)
class CellChange:
    row: int
    model: str
    before: bool
    after: bool


@dataclass
class ColumnChange:
    model: str
    before: ColumnSummary
    after: ColumnSummary

    @property
    def pass_rate_change(self) -> float | None:
        if self.before.pass_rate is None or self.after.pass_rate is None:
            return None
        return self.after.pass_rate - self.before.pass_rate

    @property
    def cost_change(self) -> Decimal | None:
        if self.before.mean_cost is None or self.after.mean_cost is None:
            return None
        return self.after.mean_cost - self.before.mean_cost

    @property
    def latency_change(self) -> float | None:
        if self.before.median_ms is None or self.after.median_ms is None:
            return None
        return self.after.median_ms - self.before.median_ms


def evaluations_compare(before: Evaluation, after: Evaluation) -> dict[str, Any]:
    """Per case and model (columns matched by model id), the cells that went from pass
    to fail (regressions) and back (fixes); per model, the change in pass rate, mean cost
    and median latency."""
    cells_before = evaluation_cells(before)
    cells_after = evaluation_cells(after)
    passed_before = {
        (cell.row, cell.model): cell.passed for cell in cells_before if cell.is_finished
    }
    regressions, fixes = [], []
    for cell in cells_after:
        key = (cell.row, cell.model)
        if not cell.is_finished or key not in passed_before:
            continue
        if passed_before[key] and not cell.passed:
            regressions.append(CellChange(cell.row, cell.model, True, False))
        elif not passed_before[key] and cell.passed:
            fixes.append(CellChange(cell.row, cell.model, False, True))
    summaries_before = {s.model: s for s in column_summaries(before, cells_before)}
    columns = [
        ColumnChange(summary.model, summaries_before[summary.model], summary)
        for summary in column_summaries(after, cells_after)
        if summary.model in summaries_before
    ]
    return {"regressions": regressions, "fixes": fixes, "columns": columns}
