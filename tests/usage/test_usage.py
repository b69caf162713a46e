"""The usage page and its CSV: runs, tokens and exact costs per day and per model over a
period, counted in the site's time zone, only one's own runs, and the keys' credit."""

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from playground.models import RunColumn
from playground.usage.report import Period, usage_summarize
from tests.factories import a_finished_run, a_stored_key
from tests.keys.test_keys import KEY, assert_no_key_material

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 15)


@pytest.fixture(autouse=True)
def _fixed_today(monkeypatch):
    """Preset periods end "today"; the tests pin it."""
    monkeypatch.setattr("playground.views.usage.site_today", lambda: TODAY)


def a_run_at(owner, when: datetime, *columns: tuple):
    """A finished run made at `when`, one column per (model, input, output, reasoning,
    cost) tuple."""
    run = a_finished_run(owner, models=[f"demo/swift-{n}" for n in range(len(columns))])
    run.__class__.objects.filter(pk=run.pk).update(created_at=when)
    for column, (model, input_tokens, output_tokens, reasoning, cost) in zip(
        run.columns.all(), columns, strict=True
    ):
        column.model = model
        column.input_tokens = input_tokens
        column.output_tokens = output_tokens
        column.reasoning_tokens = reasoning
        column.cost = cost
        column.save()
    return run


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def page(client, **params) -> str:
    response = client.get("/usage/", params)
    assert response.status_code == 200
    return response.content.decode()


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_anonymous_people_are_sent_to_log_in(client):
    for url in ("/usage/", "/usage/export.csv"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=/usage/")


def test_the_page_only_answers_reading(alice_client):
    assert alice_client.post("/usage/").status_code == 405
    assert alice_client.post("/usage/export.csv").status_code == 405


def test_it_adds_up_runs_tokens_and_exact_costs_per_day_and_per_model(alice, fake):
    a_run_at(
        alice,
        utc(2026, 3, 1, 9),
        ("openai/gpt-5", 100, 50, 20, Decimal("0.0000225")),
        ("anthropic/claude", 200, 80, 0, Decimal("0.1")),
    )
    a_run_at(alice, utc(2026, 3, 1, 18), ("openai/gpt-5", 10, 5, None, Decimal("0.0000001")))
    a_run_at(alice, utc(2026, 3, 3, 12), ("openai/gpt-5", 1, 2, 1, Decimal("0.000000000001")))

    usage = usage_summarize(owner=alice, period=Period(date(2026, 3, 1), date(2026, 3, 3)))

    first, second, third = usage.days
    assert [day.day for day in usage.days] == [date(2026, 3, d) for d in (1, 2, 3)]
    assert (first.amounts.runs, first.amounts.input_tokens, first.amounts.output_tokens) == (
        2,
        310,
        135,
    )
    assert first.amounts.reasoning_tokens == 20
    assert first.amounts.cost == Decimal("0.1000226")
    assert (second.amounts.runs, second.amounts.cost, second.amounts.input_tokens) == (0, 0, 0)
    assert third.amounts.cost == Decimal("0.000000000001")

    by_model = {row.model: row.amounts for row in usage.models}
    assert [row.model for row in usage.models] == ["anthropic/claude", "openai/gpt-5"]
    assert by_model["openai/gpt-5"].runs == 3
    assert by_model["openai/gpt-5"].cost == Decimal("0.000022600001")
    assert by_model["anthropic/claude"].output_tokens == 80

    assert usage.totals.runs == 3
    assert usage.totals.cost == Decimal("0.100022600001")
    assert isinstance(usage.totals.cost, Decimal)
    assert (usage.totals.input_tokens, usage.totals.output_tokens) == (311, 137)
    assert usage.totals.reasoning_tokens == 21


def test_the_page_shows_the_totals_days_and_models(alice_client, alice, fake):
    a_run_at(
        alice,
        utc(2026, 3, 1, 9),
        ("openai/gpt-5", 100, 50, 20, Decimal("0.0000225")),
        ("anthropic/claude", 200, 80, 0, Decimal("0.1")),
    )
    html = page(alice_client, start="2026-02-28", end="2026-03-02")
    assert 'data-testid="total-runs">1<' in html
    assert 'data-testid="total-input">300<' in html
    assert 'data-testid="total-output">130<' in html
    assert 'data-testid="total-reasoning">20<' in html
    assert 'data-testid="total-cost">$0.1000225<' in html
    # Every day of the period has its row, the empty ones too.
    assert html.count('data-testid="usage-day"') == 3
    assert 'data-day="2026-02-28"' in html and 'data-day="2026-03-02"' in html
    assert html.count('data-testid="usage-model"') == 2
    assert 'data-label="2026-03-01" data-value="$0.1000225"' in html
    assert 'data-label="anthropic/claude" data-value="$0.1"' in html
    assert 'data-testid="usage-period">2026-02-28 to 2026-03-02<' in html
    assert 'href="/usage/export.csv?start=2026-02-28&amp;end=2026-03-02"' in html


def test_a_period_with_no_runs_shows_zero_days_and_says_so(alice_client, alice):
    html = page(alice_client, period="7")
    assert html.count('data-testid="usage-day"') == 7
    assert 'data-testid="total-cost">$0<' in html
    assert 'data-testid="usage-empty"' in html
    assert "Cost per day: 7 bars" not in html and "Cost per day: 2026-03-09 $0;" in html


def test_answers_without_a_cost_count_as_runs_and_tokens_at_zero_cost(alice_client, alice, fake):
    a_run_at(
        alice,
        utc(2026, 3, 10, 12),
        ("demo/fail-midstream", 40, None, None, None),
        ("demo/swift", 10, 5, None, Decimal("0.5")),
    )
    usage = usage_summarize(owner=alice, period=Period(date(2026, 3, 10), date(2026, 3, 10)))
    assert usage.totals.runs == 1 and usage.totals.input_tokens == 50
    assert usage.totals.cost == Decimal("0.5") and usage.totals.unpriced == 1
    failed = next(row for row in usage.models if row.model == "demo/fail-midstream")
    assert failed.amounts.runs == 1 and failed.amounts.cost == 0
    html = page(alice_client, period="7")
    assert "1 answer had no reported cost" in html and "counts as $0" in html


def test_other_peoples_runs_never_count(alice_client, alice, bob, fake):
    a_run_at(alice, utc(2026, 3, 14, 9), ("demo/swift", 1, 1, 0, Decimal("0.25")))
    a_run_at(bob, utc(2026, 3, 14, 9), ("bob/secret-model", 999, 999, 0, Decimal("7")))
    html = page(alice_client)
    assert 'data-testid="total-cost">$0.25<' in html and 'data-testid="total-runs">1<' in html
    assert "bob/secret-model" not in html
    export = alice_client.get("/usage/export.csv")
    assert "bob/secret-model" not in export.content.decode()


def test_preset_periods_end_today_and_thirty_days_is_the_default(alice_client, alice, fake):
    a_run_at(alice, utc(2026, 3, 15, 23, 59), ("demo/swift", 1, 1, 0, Decimal("1")))
    a_run_at(alice, utc(2026, 3, 9, 0, 0), ("demo/swift", 1, 1, 0, Decimal("2")))  # day 7
    a_run_at(alice, utc(2026, 3, 8, 23, 59), ("demo/swift", 1, 1, 0, Decimal("4")))  # day 8
    a_run_at(alice, utc(2026, 2, 14, 0, 0), ("demo/swift", 1, 1, 0, Decimal("8")))  # day 30
    a_run_at(alice, utc(2026, 2, 13, 12), ("demo/swift", 1, 1, 0, Decimal("16")))  # day 31
    a_run_at(alice, utc(2025, 12, 15, 0, 0), ("demo/swift", 1, 1, 0, Decimal("32")))  # day 91
    assert 'data-testid="total-cost">$3<' in page(alice_client, period="7")
    assert 'data-testid="total-cost">$15<' in page(alice_client, period="30")
    assert 'data-testid="total-cost">$15<' in page(alice_client)
    assert 'data-testid="total-cost">$31<' in page(alice_client, period="90")
    html = page(alice_client, period="90")
    assert 'data-testid="usage-period">2025-12-16 to 2026-03-15<' in html
    assert 'data-testid="usage-period-90" aria-current="true"' in html


def test_a_custom_period_includes_its_first_and_last_day_whole(alice_client, alice, fake):
    a_run_at(alice, utc(2026, 1, 9, 23, 59, 59), ("demo/swift", 1, 1, 0, Decimal("1")))
    a_run_at(alice, utc(2026, 1, 10, 0, 0, 0), ("demo/swift", 1, 1, 0, Decimal("2")))
    a_run_at(alice, utc(2026, 1, 12, 23, 59, 59), ("demo/swift", 1, 1, 0, Decimal("4")))
    a_run_at(alice, utc(2026, 1, 13, 0, 0, 0), ("demo/swift", 1, 1, 0, Decimal("8")))
    html = page(alice_client, period="custom", start="2026-01-10", end="2026-01-12")
    assert 'data-testid="total-cost">$6<' in html
    assert html.count('data-testid="usage-day"') == 3
    one_day = page(alice_client, start="2026-01-13", end="2026-01-13")
    assert 'data-testid="total-cost">$8<' in one_day


def test_days_are_counted_in_the_sites_time_zone(alice_client, alice, fake, settings):
    settings.TIME_ZONE = "Europe/Berlin"  # UTC+1 in winter
    a_run_at(alice, utc(2026, 1, 10, 22, 59), ("demo/swift", 1, 1, 0, Decimal("1")))  # 23:59
    a_run_at(alice, utc(2026, 1, 10, 23, 30), ("demo/swift", 1, 1, 0, Decimal("2")))  # 00:30
    usage = usage_summarize(owner=alice, period=Period(date(2026, 1, 10), date(2026, 1, 11)))
    assert [(day.day.day, day.amounts.cost) for day in usage.days] == [(10, 1), (11, 2)]
    only_the_11th = page(alice_client, start="2026-01-11", end="2026-01-11")
    assert 'data-testid="total-cost">$2<' in only_the_11th
    assert "Europe/Berlin" in only_the_11th


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"start": "2026-02-30", "end": "2026-03-01"}, "start", "Enter a date as YYYY-MM-DD"),
        ({"start": "yesterday", "end": "today"}, "end", "Enter a date as YYYY-MM-DD"),
        (
            {"start": "2026-03-02", "end": "2026-03-01"},
            "end",
            "The last day must be on or after the first day.",
        ),
        ({"period": "custom"}, "start", "Pick the first day of the period."),
        ({"period": "custom", "start": "2026-01-01"}, "end", "Pick the last day of the period."),
        ({"period": "365"}, "period", "Pick the last 7, 30 or 90 days, or a custom range."),
        ({"start": "2024-01-01", "end": "2026-01-01"}, "end", "Pick at most 366 days."),
        ({"start": "0001-01-01", "end": "0001-01-02"}, "start", "Pick a day from 2000-01-01 on."),
        ({"start": "9999-12-30", "end": "9999-12-31"}, "end", "Pick a day up to 2999-12-31."),
    ],
)
def test_a_bad_period_is_explained_beside_its_field(alice_client, alice, params, field, message):
    for url in ("/usage/", "/usage/export.csv"):
        response = alice_client.get(url, params)
        assert response.status_code == 400
        assert response["Content-Type"].startswith("text/html")
        html = response.content.decode()
        assert f'data-testid="{field}-error">{message}' in html
        assert 'data-testid="usage-totals"' not in html


def test_the_csv_has_one_row_per_day_and_model_with_exact_costs(alice_client, alice, fake):
    a_run_at(
        alice,
        utc(2026, 3, 1, 9),
        ("openai/gpt-5", 100, 50, 20, Decimal("0.0000225")),
        ("anthropic/claude", 200, 80, 0, Decimal("0.1")),
    )
    a_run_at(alice, utc(2026, 3, 1, 10), ("openai/gpt-5", 10, 5, None, Decimal("0.0000001")))
    a_run_at(alice, utc(2026, 3, 2, 10), ("openai/gpt-5", 1, 1, 1, None))
    response = alice_client.get("/usage/export.csv", {"start": "2026-03-01", "end": "2026-03-05"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="usage-2026-03-01-to-2026-03-05.csv"'
    )
    assert csv_rows(response) == [
        [
            "date",
            "model",
            "runs",
            "input_tokens",
            "output_tokens",
            "reasoning_tokens",
            "cost_usd",
        ],
        ["2026-03-01", "anthropic/claude", "1", "200", "80", "0", "0.1"],
        ["2026-03-01", "openai/gpt-5", "2", "110", "55", "20", "0.0000226"],
        ["2026-03-02", "openai/gpt-5", "1", "1", "1", "1", "0"],
    ]


def test_the_csv_follows_the_pages_preset_period(alice_client, alice, fake):
    a_run_at(alice, utc(2026, 3, 10, 9), ("demo/swift", 1, 1, 0, Decimal("1")))
    a_run_at(alice, utc(2026, 2, 1, 9), ("demo/swift", 1, 1, 0, Decimal("1")))
    response = alice_client.get("/usage/export.csv", {"period": "7"})
    assert "usage-2026-03-09-to-2026-03-15.csv" in response["Content-Disposition"]
    assert [row[0] for row in csv_rows(response)[1:]] == ["2026-03-10"]


def test_model_ids_that_look_like_formulas_are_not_run_by_spreadsheets(alice_client, alice, fake):
    tricky = ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", "\tx", "safe/model"]
    a_run_at(alice, utc(2026, 3, 14, 9), *[(model, 1, 1, 0, Decimal("0.01")) for model in tricky])
    response = alice_client.get("/usage/export.csv")
    models = sorted(row[1] for row in csv_rows(response)[1:])
    assert models == sorted(
        ['\'=HYPERLINK("http://x")', "'+1", "'-2+3", "'@SUM(A1)", "'\tx", "safe/model"]
    )
    assert RunColumn.objects.filter(model="+1").exists()  # stored as it came


def test_the_keys_credit_is_shown_with_its_date_but_never_the_key(alice_client, alice, bob):
    work = a_stored_key(alice, "work", KEY, default=True)
    work.info = {
        "label": "Work key",
        "limit": "25",
        "limit_remaining": "4.5",
        "limit_reset": "monthly",
        "usage": "20.5",
        "is_free_tier": False,
        "expires_at": None,
    }
    work.info_checked_at = utc(2026, 3, 14, 8, 30)
    work.save()
    a_stored_key(alice, "spare", "sk-or-v1-" + "0" * 60 + "abcd")
    a_stored_key(bob, "bobs", "sk-or-v1-" + "1" * 60 + "wxyz")
    html = page(alice_client)
    assert 'data-label="work"' in html and ">…9a2c<" in html
    assert "$4.5 of $25, resets monthly" in html and "$20.5" in html
    assert 'data-testid="usage-key-checked">As of 2026-03-14 08:30 (UTC)' in html
    spare = html[html.index('data-label="spare"') :]
    assert 'data-testid="usage-key-unknown"' in spare
    assert "bobs" not in html and "wxyz" not in html
    assert_no_key_material(html, KEY)


def test_without_keys_it_says_there_is_no_credit_to_show(alice_client, alice):
    assert 'data-testid="usage-no-keys"' in page(alice_client)


def test_the_navigation_links_to_the_usage_page(alice_client, alice):
    html = page(alice_client)
    assert '<a href="/usage/" data-testid="nav-usage">Usage</a>' in html


def test_a_fallbacks_answer_counts_under_the_model_that_served(alice_client, alice, fake):
    run = a_run_at(
        alice,
        utc(2026, 3, 9, 12),
        ("demo/fail-provider-down", 10, 20, 0, Decimal("0.003")),
        ("demo/swift", 5, 5, 0, Decimal("0.001")),
    )
    down, swift = run.columns.order_by("position")
    down.request_body = {**down.request_body, "models": ["demo/fail-provider-down", "demo/echo"]}
    down.served_model = "demo/echo"
    down.save()
    # A dated id of the model asked for is that model, not a fallback.
    swift.request_body = {**swift.request_body, "models": ["demo/swift", "demo/echo"]}
    swift.served_model = "demo/swift-2026-01-31"
    swift.save()
    usage = usage_summarize(owner=alice, period=Period(date(2026, 3, 9), date(2026, 3, 9)))
    by_model = {row.model: row for row in usage.models}
    assert set(by_model) == {"demo/echo", "demo/swift"}
    assert by_model["demo/echo"].amounts.cost == Decimal("0.003")
    assert by_model["demo/echo"].fallback_for == ("demo/fail-provider-down",)
    assert by_model["demo/swift"].fallback_for == ()
    html = page(alice_client, start="2026-03-09", end="2026-03-09")
    assert "also as a fallback for demo/fail-provider-down" in html
