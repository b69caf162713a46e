"""The SVG bar chart: geometry from values, sensible drawings of zero and empty data, and
a template that escapes every text and needs neither inline style nor script."""

import re
from decimal import Decimal

from django.template.loader import render_to_string

from playground.inspector.charts import Bar, bar_chart


def draw(chart) -> str:
    return render_to_string("playground/charts/bar_chart.html", {"chart": chart})


def test_bars_are_as_long_as_their_values_on_a_scale_of_round_steps():
    chart = bar_chart(
        title="Time to first token",
        bars=[Bar("a", 100, "100 ms"), Bar("b", 300, "300 ms"), Bar("c", 0, "0 ms")],
        unit="ms",
    )
    first, second, third = chart.bars
    assert [tick.label.text for tick in chart.gridlines] == ["0", "100", "200", "300"]
    assert second.height == 3 * first.height > 0
    assert third.height == 0
    # Columns stand on the zero line.
    assert first.y + first.height == second.y + second.height == chart.axis.y1


def test_exact_decimals_make_exact_steps():
    chart = bar_chart(
        title="Cost",
        bars=[Bar("x", Decimal("0.0000225"), "$0.0000225"), Bar("y", Decimal("0.000045"), "")],
    )
    assert [tick.label.text for tick in chart.gridlines] == ["0", "0.00002", "0.00004", "0.00006"]
    assert chart.bars[1].height == 2 * chart.bars[0].height


def test_large_values_have_short_axis_labels():
    chart = bar_chart(title="Tokens", bars=[Bar("a", 1_234_567, "1234567")])
    assert [tick.label.text for tick in chart.gridlines] == ["0", "500k", "1M", "1.5M"]


def test_counts_get_whole_steps_and_fractions_do_not():
    counts = bar_chart(title="Runs", bars=[Bar("a", 1, "1"), Bar("b", 2, "2")])
    assert [tick.label.text for tick in counts.gridlines] == ["0", "1", "2"]
    parts = bar_chart(title="Seconds", bars=[Bar("a", 1.0, "1 s"), Bar("b", 2.0, "2 s")])
    assert [tick.label.text for tick in parts.gridlines] == ["0", "0.5", "1", "1.5", "2"]


def test_a_lone_column_is_not_a_wall():
    chart = bar_chart(title="Cost per day", bars=[Bar("2026-01-01", 1, "$1")])
    assert 0 < chart.bars[0].width <= 48


def test_floats_are_drawn_to_scale():
    chart = bar_chart(
        title="Speed", bars=[Bar("a", 42.5, "42.5 tok/s"), Bar("b", 85.0, "85 tok/s")]
    )
    assert chart.bars[1].height == 2 * chart.bars[0].height


def test_all_zero_values_draw_flat_bars_and_one_gridline():
    chart = bar_chart(title="Cost", bars=[Bar("a", Decimal(0), "$0"), Bar("b", 0, "$0")])
    assert [bar.height for bar in chart.bars] == [0, 0]
    assert [tick.label.text for tick in chart.gridlines] == ["0"]
    assert chart.empty_label is None
    assert "$0" in draw(chart)


def test_no_bars_at_all_says_no_data():
    for horizontal in (False, True):
        chart = bar_chart(title="Cost per model", bars=[], horizontal=horizontal)
        assert chart.bars == ()
        assert chart.empty_label.text == "No data"
        assert chart.description == "Cost per model: no data."
        assert "No data" in draw(chart)


def test_negative_and_non_finite_values_are_drawn_as_zero():
    chart = bar_chart(
        title="Odd",
        bars=[
            Bar("neg", -5, "-5"),
            Bar("nan", float("nan"), "?"),
            Bar("inf", float("inf"), "?"),
            Bar("ten", 10, "10"),
        ],
    )
    assert [bar.height for bar in chart.bars[:3]] == [0, 0, 0]
    assert chart.bars[3].height > 0


def test_rows_put_long_labels_on_the_left_and_values_after_the_bars():
    chart = bar_chart(
        title="Cost per model",
        bars=[
            Bar("anthropic/claude-sonnet-4.5", Decimal("0.02"), "$0.02"),
            Bar("openai/gpt-5-mini", Decimal("0.01"), "$0.01"),
        ],
        unit="USD",
        horizontal=True,
    )
    long, short = chart.bars
    assert long.width == 2 * short.width > 0
    assert long.x == short.x == chart.axis.x1
    assert long.axis_label.anchor == "end" and long.axis_label.x < long.x
    assert long.value_label.text == "$0.02" and long.value_label.x > long.x + long.width
    assert long.y < short.y  # in the order given, top to bottom
    assert chart.unit_label.text == "USD"


def test_very_long_row_labels_are_shortened_but_kept_whole_in_the_tooltip():
    name = "provider/" + "x" * 60
    chart = bar_chart(title="Cost", bars=[Bar(name, 1, "$1")], horizontal=True)
    drawn = chart.bars[0]
    assert len(drawn.axis_label.text) == 32 and drawn.axis_label.text.endswith("…")
    assert drawn.tooltip == f"{name}: $1"


def test_many_columns_thin_out_their_labels_and_leave_values_to_tooltips():
    bars = [Bar(f"2026-01-{day:02}", day, f"${day}.125") for day in range(1, 31)]
    chart = bar_chart(title="Cost per day", bars=bars)
    labelled = [drawn.bar.label for drawn in chart.bars if drawn.axis_label]
    assert labelled[0] == "2026-01-01" and 2 < len(labelled) < 30
    assert all(drawn.value_label is None for drawn in chart.bars)
    assert chart.description == (
        "Cost per day: 30 bars from 2026-01-01 to 2026-01-30; highest 2026-01-30 at $30.125."
    )


def test_among_many_columns_only_values_above_zero_are_labelled():
    bars = [Bar(f"d{day}", 1 if day in (3, 9) else 0, str(int(day in (3, 9)))) for day in range(14)]
    chart = bar_chart(title="Runs per day", bars=bars)
    labelled = [drawn.bar.label for drawn in chart.bars if drawn.value_label]
    assert labelled == ["d3", "d9"]


def test_few_columns_show_every_label_and_value():
    chart = bar_chart(title="Total time", bars=[Bar("a", 1, "1 s"), Bar("b", 2, "2 s")])
    assert [drawn.axis_label.text for drawn in chart.bars] == ["a", "b"]
    assert [drawn.value_label.text for drawn in chart.bars] == ["1 s", "2 s"]
    assert chart.description == "Total time: a 1 s; b 2 s."


def test_every_bar_fits_inside_the_drawing():
    for horizontal in (False, True):
        chart = bar_chart(
            title="Sizes",
            bars=[Bar(f"m{n}", n * 1.7, str(n)) for n in range(8)],
            horizontal=horizontal,
        )
        for drawn in chart.bars:
            assert drawn.x >= 0 and drawn.x + drawn.width <= chart.width
            assert drawn.y >= 0 and drawn.y + drawn.height <= chart.height


def test_the_svg_is_accessible_and_escapes_every_text():
    chart = bar_chart(
        title="<b>Cost</b>",
        bars=[Bar('<script>alert("x")</script>', 1, "<i>$1</i>")],
        unit="U&D",
    )
    svg = draw(chart)
    assert svg.startswith('<svg class="bar-chart" role="img" aria-label="&lt;b&gt;Cost&lt;/b&gt;:')
    assert "<title>&lt;b&gt;Cost&lt;/b&gt;</title>" in svg
    assert "<script" not in svg and "<i>" not in svg and "<b>" not in svg
    assert "&lt;script&gt;" in svg and "U&amp;D" in svg
    assert "style=" not in svg and " on" not in svg.replace(" one", "")


def test_the_svg_writes_numbers_with_a_dot_whatever_the_locale(settings):
    settings.USE_THOUSAND_SEPARATOR = True
    chart = bar_chart(title="T", bars=[Bar("a", 1, "1"), Bar("b", 3, "3")], width=1500)
    svg = draw(chart)
    numbers = re.findall(r' (?:x|y|width|height|x1|x2|y1|y2)="([^"]*)"', svg)
    assert numbers and all(re.fullmatch(r"\d+(\.\d+)?", number) for number in numbers)
    assert 'viewBox="0 0 1500 ' in svg
