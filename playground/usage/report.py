"""What a person's runs used over a period: runs, tokens and cost per day and per model.

How things count:

- Days are calendar days in the site's TIME_ZONE. A run counts once, on the day it was
  made; per model, each of a run's columns counts (a run comparing three models adds one
  run to each of them).
- Tokens and cost come from the columns. A column that reported nothing (still pending,
  failed before any usage, stopped early) adds no tokens and $0, and is counted in
  `unpriced` so that the page can say how many answers had no reported cost: a total
  is then a lower bound, never a guess.
- Money stays Decimal: costs are added up here, from each column's stored value, because
  SQLite keeps decimal columns as floating point and would add them up as such.
"""

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models.functions import TruncDate
from django.utils import timezone

from playground.core.formatting import plain_decimal
from playground.models import RunColumn

PRESET_DAYS = (7, 30, 90)
DEFAULT_DAYS = 30
MAX_DAYS = 366  # a custom period of up to a year still draws one readable bar per day
FIRST_DAY = date(2000, 1, 1)  # before any run; bounds keep date arithmetic in range
LAST_DAY = date(2999, 12, 31)
CUSTOM = "custom"

CSV_HEADER = (
    "date",
    "model",
    "runs",
    "input_tokens",
    "output_tokens",
    "reasoning_tokens",
    "cost_usd",
)
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection);
# model ids come from upstream, so such a cell is written with a leading quote.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Period:
    """From `start` to `end`, both days included."""

    start: date
    end: date

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]


@dataclass
class Amounts:
    """What some runs used. `runs` counts runs per day and in totals, columns per model."""

    runs: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    cost: Decimal = field(default_factory=Decimal)
    unpriced: int = 0  # columns without a reported cost, counted as $0 in `cost`

    @property
    def tokens(self) -> int:
        # Reasoning tokens are part of the output tokens (usage.output_tokens_details).
        return self.input_tokens + self.output_tokens

    @property
    def cost_number(self) -> str:
        return plain_decimal(self.cost)

    def add_column(self, *, input_tokens, output_tokens, reasoning_tokens, cost) -> None:
        self.input_tokens += input_tokens or 0
        self.output_tokens += output_tokens or 0
        self.reasoning_tokens += reasoning_tokens or 0
        if cost is None:
            self.unpriced += 1
        else:
            self.cost += cost


@dataclass(frozen=True)
class DayUsage:
    day: date
    amounts: Amounts


@dataclass(frozen=True)
class ModelUsage:
    model: str
    amounts: Amounts
    # The models it answered for as their fallback, when it did.
    fallback_for: tuple[str, ...] = ()


@dataclass(frozen=True)
class DayModelUsage:
    day: date
    model: str
    amounts: Amounts


@dataclass(frozen=True)
class Usage:
    period: Period
    days: list[DayUsage]  # every day of the period, in order, those without runs too
    models: list[ModelUsage]  # costliest first
    cells: list[DayModelUsage]  # by day then model, only where there were runs
    totals: Amounts


def serving_fallback(model: str, served: str, asked: object) -> str:
    """The fallback model (of the request's `models`) that answered instead of `model`,
    as the request named it; "" when the model itself answered. The response's model
    may be a dated id of the one asked for ("…-2025-01-31"), so a served id is matched
    by the fallback id it starts with."""
    if not served or served == model or not isinstance(asked, list):
        return ""
    fallbacks = [m for m in asked[1:] if isinstance(m, str) and m]
    if served.startswith(model) and not any(served.startswith(f) for f in fallbacks):
        return ""
    return next((f for f in sorted(fallbacks, key=len, reverse=True) if served.startswith(f)), "")


# What the per-model tables call the columns of blind runs not voted on yet.
BLIND_BEFORE_VOTE = "Blind runs before the vote"


def usage_summarize(*, owner, period: Period) -> Usage:
    """What `owner`'s runs made within `period` used (see the module's counting rules)."""
    zone = timezone.get_default_timezone()
    since = datetime.combine(period.start, time.min, tzinfo=zone)
    until = datetime.combine(period.end + timedelta(days=1), time.min, tzinfo=zone)
    columns = (
        RunColumn.objects.filter(
            run__owner=owner, run__created_at__gte=since, run__created_at__lt=until
        )
        .annotate(day=TruncDate("run__created_at", tzinfo=zone))
        .values_list(
            "day", "model", "run_id", "input_tokens", "output_tokens", "reasoning_tokens", "cost",
            "run__blind", "run__revealed_at", "served_model", "request_body__models",
        )
    )  # fmt: skip
    by_day: dict[date, Amounts] = defaultdict(Amounts)
    by_model: dict[str, Amounts] = defaultdict(Amounts)
    by_cell: dict[tuple[date, str], Amounts] = defaultdict(Amounts)
    totals = Amounts()
    runs_by_day: dict[date, set[int]] = defaultdict(set)
    fallback_for: dict[str, set[str]] = defaultdict(set)
    for day, model, run_id, input_tokens, output_tokens, reasoning_tokens, cost, *rest in columns:
        blind, revealed_at, served, asked = rest
        if fallback := serving_fallback(model, served, asked):
            # A fallback answered: its tokens and cost are the fallback's, not the model's.
            fallback_for[fallback].add(model)
            model = fallback
        if blind and revealed_at is None:
            # Per model, a blind run's tokens and cost would tell its columns apart: counted
            # in the day's totals, and under its models once they are revealed.
            model = BLIND_BEFORE_VOTE
        runs_by_day[day].add(run_id)
        by_model[model].runs += 1
        by_cell[day, model].runs += 1
        for amounts in (by_day[day], by_model[model], by_cell[day, model], totals):
            amounts.add_column(
                input_tokens=input_tokens,
                output_tokens=output_tokens,
                reasoning_tokens=reasoning_tokens,
                cost=cost,
            )
    # Runs are counted through their columns: every run has at least one.
    for day, run_ids in runs_by_day.items():
        by_day[day].runs = len(run_ids)
    totals.runs = sum(len(run_ids) for run_ids in runs_by_day.values())
    return Usage(
        period=period,
        days=[DayUsage(day, by_day.get(day) or Amounts()) for day in period.days],
        models=[
            ModelUsage(model, amounts, tuple(sorted(fallback_for.get(model, ()))))
            for model, amounts in sorted(
                by_model.items(), key=lambda item: (-item[1].cost, -item[1].runs, item[0])
            )
        ],
        cells=[DayModelUsage(day, model, by_cell[day, model]) for day, model in sorted(by_cell)],
        totals=totals,
    )


def usage_csv_rows(usage: Usage) -> Iterator[list[str]]:
    """The header, then one row per day per model, costs as exact decimals."""
    yield list(CSV_HEADER)
    for cell in usage.cells:
        amounts = cell.amounts
        yield [
            cell.day.isoformat(),
            csv_safe(cell.model),
            str(amounts.runs),
            str(amounts.input_tokens),
            str(amounts.output_tokens),
            str(amounts.reasoning_tokens),
            amounts.cost_number,
        ]


def csv_safe(text: str) -> str:
    """`text` as a spreadsheet shows it, never runs it: "=1+1" becomes "'=1+1"."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def site_today() -> date:
    """Today in the site's TIME_ZONE, the zone the days of a period are counted in."""
    return timezone.localdate(timezone=timezone.get_default_timezone())


def _day_field(label: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        validators=[
            MinValueValidator(FIRST_DAY, f"Pick a day from {FIRST_DAY.isoformat()} on."),
            MaxValueValidator(LAST_DAY, f"Pick a day up to {LAST_DAY.isoformat()}."),
        ],
        error_messages={"invalid": "Enter a date as YYYY-MM-DD, e.g. 2026-01-31."},
    )


class UsagePeriodForm(forms.Form):
    """The period of the usage page, from its query string: `period` is 7, 30 or 90
    (days up to today) or "custom" with `start` and `end`. Dates without a period mean a
    custom one; nothing at all means the last 30 days."""

    period = forms.ChoiceField(
        choices=[(str(days), f"Last {days} days") for days in PRESET_DAYS] + [(CUSTOM, "Custom")],
        required=False,
        error_messages={"invalid_choice": "Pick the last 7, 30 or 90 days, or a custom range."},
    )
    start = _day_field("From")
    end = _day_field("To")

    def clean(self):
        data = super().clean()
        period = data.get("period") or (
            CUSTOM if self.data.get("start") or self.data.get("end") else str(DEFAULT_DAYS)
        )
        data["period"] = period
        if period != CUSTOM:
            return data
        start, end = data.get("start"), data.get("end")
        if start is None and "start" not in self.errors:
            self.add_error("start", "Pick the first day of the period.")
        if end is None and "end" not in self.errors:
            self.add_error("end", "Pick the last day of the period.")
        if start and end:
            if end < start:
                self.add_error("end", "The last day must be on or after the first day.")
            elif (end - start).days + 1 > MAX_DAYS:
                self.add_error("end", f"Pick at most {MAX_DAYS} days.")
        return data

    def chosen_period(self, *, today: date) -> Period:
        """The period of a valid form, preset periods ending `today`."""
        data = self.cleaned_data
        if data["period"] == CUSTOM:
            return Period(data["start"], data["end"])
        return Period(today - timedelta(days=int(data["period"]) - 1), today)
