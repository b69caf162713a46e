"""Bar charts drawn as SVG on the server, with no chart library and nothing for the
browser to run (the CSP allows no inline script or style).

`bar_chart()` turns labelled values into a `Chart`: every rectangle, line and piece of
text with its position. `templates/playground/charts/bar_chart.html` draws one:

    {% include "playground/charts/bar_chart.html" with chart=chart %}

Columns (the default) suit many bars with short labels, such as days; rows
(`horizontal=True`) suit a few bars with long labels, such as model ids. Values are
drawn from zero on a scale of round steps; negative or non-finite values are drawn as
zero. Each bar keeps the caller's own text for its value (`Bar.display`), so money can
stay exact ("$0.0000225") while the geometry uses plain numbers.

Text widths are estimates (the server does not know the browser's font): labels that
would not fit are thinned out or shortened, and every bar keeps its full label and
value in a tooltip and in the chart's accessible description.
"""

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal, InvalidOperation

from playground.core.formatting import plain_decimal

Number = Decimal | float | int

WIDTH = 640
CHAR_WIDTH = 7  # px, a generous average for the 12 px labels
TITLE_Y = 16
UNIT_Y = 34
PLOT_TOP = 52  # below the title and the unit, with room for value labels above columns
COLUMNS_PLOT_HEIGHT = 180
MAX_COLUMN_WIDTH = 48  # so that one or two columns do not turn into walls
ROW_HEIGHT = 26
ROW_BAR_HEIGHT = 16
MIN_PLOT_WIDTH = 160
LABEL_MAX_CHARS = 32  # longer row labels are shortened (model ids rarely are)
TICK_STEPS = 4  # about this many gridlines above zero
MANY_BARS = 12  # past this, zero values go unlabelled and the description summarizes
ZERO = Decimal(0)


@dataclass(frozen=True)
class Bar:
    """One value to draw: `display` is how it is written ("$0.0000225", "412 ms")."""

    label: str
    value: Number
    display: str


@dataclass(frozen=True)
class Text:
    """A piece of text at (x, y); `anchor` is SVG's text-anchor: start, middle or end."""

    x: float
    y: float
    text: str
    anchor: str = "middle"


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float


@dataclass(frozen=True)
class DrawnBar:
    bar: Bar
    x: float
    y: float
    width: float
    height: float
    value_label: Text | None  # None when the values do not fit beside the bars
    axis_label: Text | None  # None on bars whose label is thinned out

    @property
    def tooltip(self) -> str:
        return f"{self.bar.label}: {self.bar.display}"


@dataclass(frozen=True)
class Gridline:
    line: Line
    label: Text


@dataclass(frozen=True)
class Chart:
    title: str
    description: str  # the accessible name: the title and what the bars say
    unit: str
    horizontal: bool
    width: int
    height: int
    title_label: Text
    unit_label: Text | None
    axis: Line  # the zero line
    gridlines: tuple[Gridline, ...]
    bars: tuple[DrawnBar, ...]
    empty_label: Text | None  # "No data" when there is no bar at all


def bar_chart(
    *, title: str, bars: list[Bar], unit: str = "", horizontal: bool = False, width: int = WIDTH
) -> Chart:
    """The geometry of a bar chart of `bars`, in order; `unit` names the value axis."""
    values = [_magnitude(bar.value) for bar in bars]
    # Counts (all ints) get whole steps: half a run is no place for a gridline.
    whole = all(isinstance(bar.value, int) for bar in bars)
    ticks = _ticks(max(values, default=ZERO), whole=whole)
    top = ticks[-1]
    fractions = [float(value / top) if top > 0 else 0.0 for value in values]
    layout = _rows if horizontal else _columns
    return layout(title=title, bars=bars, unit=unit, width=width, ticks=ticks, fractions=fractions)


def _columns(*, title, bars, unit, width, ticks, fractions) -> Chart:
    tick_labels = [_tick_text(tick) for tick in ticks]
    left = max(32, _text_width(max(tick_labels, key=len)) + 12)
    right = 8
    width = max(width, left + right + MIN_PLOT_WIDTH)
    plot_width = width - left - right
    bottom = PLOT_TOP + COLUMNS_PLOT_HEIGHT
    height = bottom + 28
    slot = plot_width / len(bars) if bars else plot_width
    bar_width = min(max(1.0, slot * 0.7), MAX_COLUMN_WIDTH)
    show_values = bool(bars) and all(_text_width(bar.display) <= slot for bar in bars)
    # Among many bars, a row of zeros along the axis says less than the gaps do.
    skip_zeros = len(bars) > MANY_BARS
    label_every = _every(max((_text_width(bar.label) for bar in bars), default=0) + 8, slot)

    drawn = []
    for index, (bar, fraction) in enumerate(zip(bars, fractions, strict=True)):
        centre = left + slot * index + slot / 2
        length = COLUMNS_PLOT_HEIGHT * fraction
        drawn.append(
            DrawnBar(
                bar=bar,
                x=_px(centre - bar_width / 2),
                y=_px(bottom - length),
                width=_px(bar_width),
                height=_px(length),
                value_label=Text(_px(centre), _px(bottom - length - 4), bar.display)
                if show_values and not (skip_zeros and fraction == 0)
                else None,
                axis_label=Text(_px(centre), bottom + 16, bar.label)
                if index % label_every == 0
                else None,
            )
        )
    gridlines = []
    for tick, label in zip(ticks, tick_labels, strict=True):
        y = _px(bottom - COLUMNS_PLOT_HEIGHT * _share(tick, ticks[-1]))
        gridlines.append(
            Gridline(Line(left, y, width - right, y), Text(left - 6, y + 4, label, "end"))
        )
    return Chart(
        title=title,
        description=_describe(title, bars),
        unit=unit,
        horizontal=False,
        width=width,
        height=height,
        title_label=Text(0, TITLE_Y, title, "start"),
        unit_label=Text(left, UNIT_Y, unit, "start") if unit else None,
        axis=Line(left, bottom, width - right, bottom),
        gridlines=tuple(gridlines),
        bars=tuple(drawn),
        empty_label=_empty(bars, left + plot_width / 2, PLOT_TOP + COLUMNS_PLOT_HEIGHT / 2),
    )


def _rows(*, title, bars, unit, width, ticks, fractions) -> Chart:
    labels = [_shorten(bar.label) for bar in bars]
    left = max((_text_width(label) for label in labels), default=0) + 12
    right = max((_text_width(bar.display) for bar in bars), default=0) + 12
    width = max(width, left + right + MIN_PLOT_WIDTH)
    plot_width = width - left - right
    bottom = PLOT_TOP + ROW_HEIGHT * max(len(bars), 1)
    height = bottom + 24

    drawn = []
    for index, (bar, label, fraction) in enumerate(zip(bars, labels, fractions, strict=True)):
        middle = PLOT_TOP + ROW_HEIGHT * index + ROW_HEIGHT / 2
        length = plot_width * fraction
        drawn.append(
            DrawnBar(
                bar=bar,
                x=left,
                y=_px(middle - ROW_BAR_HEIGHT / 2),
                width=_px(length),
                height=ROW_BAR_HEIGHT,
                value_label=Text(_px(left + length + 4), _px(middle + 4), bar.display, "start"),
                axis_label=Text(left - 6, _px(middle + 4), label, "end"),
            )
        )
    tick_labels = [_tick_text(tick) for tick in ticks]
    label_every = _every(
        _text_width(max(tick_labels, key=len)) + 8, plot_width / max(len(ticks) - 1, 1)
    )
    gridlines = []
    for index, (tick, label) in enumerate(zip(ticks, tick_labels, strict=True)):
        x = _px(left + plot_width * _share(tick, ticks[-1]))
        text = label if index % label_every == 0 else ""
        gridlines.append(Gridline(Line(x, PLOT_TOP, x, bottom), Text(x, bottom + 16, text)))
    return Chart(
        title=title,
        description=_describe(title, bars),
        unit=unit,
        horizontal=True,
        width=width,
        height=height,
        title_label=Text(0, TITLE_Y, title, "start"),
        unit_label=Text(width - right, UNIT_Y, unit, "end") if unit else None,
        axis=Line(left, PLOT_TOP, left, bottom),
        gridlines=tuple(gridlines),
        bars=tuple(drawn),
        empty_label=_empty(bars, left + plot_width / 2, PLOT_TOP + ROW_HEIGHT / 2 + 4),
    )


def _magnitude(value: Number) -> Decimal:
    """The value as an exact Decimal for scaling; what cannot be drawn as a length is 0."""
    try:
        # Through str so that 0.1 stays 0.1 rather than the float's binary expansion.
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return ZERO
    return number if number.is_finite() and number > 0 else ZERO


def _ticks(highest: Decimal, *, whole: bool = False) -> list[Decimal]:
    """Zero and round steps (1, 2, 2.5 or 5 times a power of ten, whole numbers only if
    `whole`) up to at least `highest`: 1.3 gives 0, 0.5, 1, 1.5. With nothing above zero,
    only zero."""
    if highest <= 0:
        return [ZERO]
    rough = highest / TICK_STEPS
    power = Decimal(1).scaleb(rough.adjusted())
    if whole:
        power = max(power, Decimal(1))
    step = next(
        power * multiple
        for multiple in (1, 2, Decimal("2.5"), 5, 10)
        if power * multiple >= rough and not (whole and power * multiple % 1)
    )
    count = int((highest / step).to_integral_value(rounding=ROUND_CEILING))
    return [step * number for number in range(count + 1)]


def _tick_text(tick: Decimal) -> str:
    """A round axis value, short: 0.00002, 250, 1.5k, 2M."""
    for size, suffix in ((Decimal(1_000_000), "M"), (Decimal(1_000), "k")):
        if tick >= size:
            return plain_decimal(tick / size) + suffix
    return plain_decimal(tick)


def _share(tick: Decimal, top: Decimal) -> float:
    return float(tick / top) if top > 0 else 0.0


def _every(label_width: float, room: float) -> int:
    """Draw every n-th label so that labels `label_width` wide do not overlap."""
    if room <= 0:
        return 1
    return max(1, int(-(-label_width // room)))


def _text_width(text: str) -> float:
    return len(text) * CHAR_WIDTH


def _shorten(label: str) -> str:
    return label if len(label) <= LABEL_MAX_CHARS else label[: LABEL_MAX_CHARS - 1] + "…"


def _px(number: float) -> float:
    return round(number, 1)


def _empty(bars: list[Bar], x: float, y: float) -> Text | None:
    return None if bars else Text(_px(x), _px(y), "No data")


def _describe(title: str, bars: list[Bar]) -> str:
    if not bars:
        return f"{title}: no data."
    if len(bars) <= MANY_BARS:
        return f"{title}: " + "; ".join(f"{bar.label} {bar.display}" for bar in bars) + "."
    highest = max(bars, key=lambda bar: _magnitude(bar.value))
    return (
        f"{title}: {len(bars)} bars from {bars[0].label} to {bars[-1].label}; "
        f"highest {highest.label} at {highest.display}."
    )
