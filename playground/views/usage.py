"""A person's usage: runs, tokens and cost per day and per model over a period, as
charts, tables and a CSV file, with what OpenRouter last said of their keys' credit."""

import csv

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe

from playground.core.formatting import usd
from playground.inspector.charts import Bar, bar_chart
from playground.models import ApiKey
from playground.usage.report import (
    CUSTOM,
    PRESET_DAYS,
    Amounts,
    Usage,
    UsagePeriodForm,
    site_today,
    usage_csv_rows,
    usage_summarize,
)
from playground.views.keys import KeyRow

TEMPLATE = "playground/usage.html"


@login_required
@require_safe
def usage(request):
    form = UsagePeriodForm(request.GET)
    if not form.is_valid():
        return _invalid(request, form)
    summary = usage_summarize(owner=request.user, period=form.chosen_period(today=site_today()))
    return render(
        request,
        TEMPLATE,
        {
            **_context(request, form),
            "usage": summary,
            "day_charts": _day_charts(summary),
            "model_charts": _model_charts(summary),
            "export_query": request.GET.urlencode(),
        },
    )


@login_required
@require_safe
def usage_export(request):
    """The page's period as CSV: one row per day per model."""
    form = UsagePeriodForm(request.GET)
    if not form.is_valid():
        return _invalid(request, form)
    period = form.chosen_period(today=site_today())
    summary = usage_summarize(owner=request.user, period=period)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"usage-{period.start}-to-{period.end}.csv"
    )
    csv.writer(response).writerows(usage_csv_rows(summary))
    return response


def _invalid(request, form: UsagePeriodForm) -> HttpResponse:
    return render(request, TEMPLATE, _context(request, form), status=400)


def _context(request, form: UsagePeriodForm) -> dict:
    chosen = form.cleaned_data.get("period") if form.is_valid() else form.data.get("period")
    return {
        "form": form,
        "presets": [(str(days), f"Last {days} days") for days in PRESET_DAYS],
        "chosen": chosen,
        "custom": CUSTOM,
        "time_zone": settings.TIME_ZONE,
        # Only what OpenRouter said of each key (never the key): see KeyRow.facts.
        "key_rows": [
            KeyRow(api_key, available=True) for api_key in ApiKey.objects.filter(owner=request.user)
        ],
    }


def _day_charts(summary: Usage) -> list:
    days = [(day.day.isoformat(), day.amounts) for day in summary.days]
    return _charts(days, horizontal=False, per="day")


def _model_charts(summary: Usage) -> list:
    models = [(model.model, model.amounts) for model in summary.models]
    return _charts(models, horizontal=True, per="model")


def _charts(rows: list[tuple[str, Amounts]], *, horizontal: bool, per: str) -> list:
    return [
        bar_chart(
            title=f"Cost per {per}",
            bars=[Bar(label, amounts.cost, usd(amounts.cost)) for label, amounts in rows],
            unit="USD",
            horizontal=horizontal,
        ),
        bar_chart(
            title=f"Tokens per {per} (input + output)",
            bars=[Bar(label, amounts.tokens, str(amounts.tokens)) for label, amounts in rows],
            unit="tokens",
            horizontal=horizontal,
        ),
        bar_chart(
            title=f"Runs per {per}",
            bars=[Bar(label, amounts.runs, str(amounts.runs)) for label, amounts in rows],
            unit="runs",
            horizontal=horizontal,
        ),
    ]
