"""The colours of static/playground/app.css meet WCAG 2 AA in both themes: each pair of
colours the stylesheet puts together, read from its variables, has the contrast it needs."""

import re
from pathlib import Path

import pytest

APP_CSS = Path(__file__).resolve().parents[2] / "static" / "playground" / "app.css"

# WCAG 2 AA: 4.5:1 for text (1.4.3), 3:1 for a control's boundary, a focus ring and the
# parts of a chart (1.4.11).
TEXT = 4.5
NON_TEXT = 3.0

# (foreground, background, minimum, where the stylesheet puts them together)
PAIRS = [
    ("ink", "bg", TEXT, "body text on the page"),
    ("ink", "panel", TEXT, "text in panels, columns and buttons"),
    ("ink", "field", TEXT, "what is typed in a field"),
    ("ink", "tint-code", TEXT, "code blocks, tags, tool calls"),
    ("ink", "tint-accent", TEXT, "callouts"),
    ("ink", "tint-ok", TEXT, "inserted words and lines of a diff"),
    ("ink", "tint-danger", TEXT, "deleted lines of a diff"),
    ("ink", "tint-changed", TEXT, "a preset's changed values"),
    ("muted", "bg", TEXT, "hints on the page"),
    ("muted", "panel", TEXT, "hints, labels of figures, chart text"),
    ("muted", "tint-code", TEXT, "a diff's hunk headers"),
    ("accent", "bg", TEXT, "links on the page"),
    ("accent", "panel", TEXT, "links and link buttons in panels"),
    ("accent", "tint-accent", TEXT, "a streaming column's status pill, model badges"),
    ("on-accent", "accent", TEXT, "primary buttons, the usage period picked"),
    ("on-danger", "danger", TEXT, "delete buttons"),
    ("danger", "bg", TEXT, "errors under fields"),
    ("danger", "panel", TEXT, "errors in panels, Stop, failed cells"),
    ("danger", "tint-danger", TEXT, "error boxes and pills, failed checks"),
    ("deleted-ink", "tint-danger", TEXT, "deleted words of the word diff"),
    ("warn", "bg", TEXT, "warnings on the page"),
    ("warn", "panel", TEXT, "a fallback model, an interrupted evaluation"),
    ("warn", "tint-warn", TEXT, "the demo banner, cancelled pills, notes"),
    ("ok", "bg", TEXT, "success on the page"),
    ("ok", "panel", TEXT, "badges, a finished evaluation"),
    ("ok", "tint-ok", TEXT, "finished pills, messages, passed checks"),
    ("control-line", "panel", NON_TEXT, "the edge of a field or a button in a panel"),
    ("control-line", "bg", NON_TEXT, "the edge of a field or a button on the page"),
    ("control-line", "field", NON_TEXT, "the edge of a field against its inside"),
    ("accent", "bg", NON_TEXT, "the focus ring on the page"),
    ("accent", "panel", NON_TEXT, "the focus ring in a panel, a chart's bars"),
    ("accent", "tint-warn", NON_TEXT, "the focus ring in a note"),
    ("muted", "panel", NON_TEXT, "a chart's axis"),
    ("first-byte", "lane", NON_TEXT, "the timeline's first-byte mark"),
    ("warn", "lane", NON_TEXT, "the timeline's first-reasoning mark"),
    ("ok", "lane", NON_TEXT, "the timeline's first-answer mark"),
    ("danger", "lane", NON_TEXT, "the timeline's last-token mark"),
    ("heat-ink", "heat-none", TEXT, "the heat map's empty cells"),
    *[("heat-ink", f"heat-{shade}", TEXT, "the heat map's rates") for shade in range(2, 10)],
    *[("heat-ink-light", f"heat-{shade}", TEXT, "the heat map's rates") for shade in (0, 1, 10)],
]

DARK_BY_SYSTEM = r"@media \(prefers-color-scheme: dark\) \{\s*:root:not\(\[data-theme=light\]\) \{"
DARK_BY_CHOICE = r":root\[data-theme=dark\] \{"


def declarations(block_start: str) -> dict[str, str]:
    """The custom properties of the rule that starts with `block_start` (a pattern)."""
    css = APP_CSS.read_text()
    match = re.search(block_start + r"(.*?)\}", css, re.DOTALL | re.MULTILINE)
    assert match, f"no rule {block_start!r} in app.css"
    body = re.sub(r"/\*.*?\*/", "", match.group(1), flags=re.DOTALL)
    return dict(re.findall(r"--([\w-]+)\s*:\s*([^;]+);", body))


def themes() -> dict[str, dict[str, str]]:
    light = declarations(r"^:root \{")
    # The dark rules set what differs; the rest (the heat map's shades) is inherited.
    return {"light": light, "dark": light | declarations(DARK_BY_CHOICE)}


def luminance(colour: str) -> float:
    """WCAG 2's relative luminance of a #rgb or #rrggbb colour."""
    digits = colour.strip().removeprefix("#")
    if len(digits) == 3:
        digits = "".join(digit * 2 for digit in digits)
    assert re.fullmatch(r"[0-9a-fA-F]{6}", digits), f"not a #rrggbb colour: {colour!r}"
    channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    red, green, blue = [
        c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels
    ]
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(first: str, second: str) -> float:
    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize(
    ("foreground", "background", "minimum", "where"),
    PAIRS,
    ids=[f"{fg} on {bg} ({minimum})" for fg, bg, minimum, _ in PAIRS],
)
def test_each_pair_of_colours_meets_aa(theme, foreground, background, minimum, where):
    colours = themes()[theme]
    ratio = contrast(colours[foreground], colours[background])
    assert ratio >= minimum, (
        f"{theme}: --{foreground} {colours[foreground]} on --{background} "
        f"{colours[background]} ({where}) is {ratio:.2f}:1, under {minimum}:1"
    )


def test_the_contrast_formula_gives_wcags_figures():
    assert contrast("#000", "#fff") == pytest.approx(21)
    assert contrast("#fff", "#fff") == pytest.approx(1)
    # The grey WCAG's own examples give as just passing 4.5:1 on white.
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


def test_the_system_dark_theme_and_the_chosen_one_are_the_same():
    assert declarations(DARK_BY_SYSTEM) == declarations(DARK_BY_CHOICE)


def test_the_dark_theme_sets_only_colours_the_light_one_has():
    light = declarations(r"^:root \{")
    assert set(declarations(DARK_BY_CHOICE)) <= set(light)


def test_every_colour_of_the_stylesheet_comes_from_a_variable():
    css = re.sub(r"/\*.*?\*/", "", APP_CSS.read_text(), flags=re.DOTALL)
    rules = re.sub(r"--[\w-]+\s*:\s*[^;]+;", "", css)
    literals = re.findall(
        r"#[0-9a-fA-F]{3,8}\b|\b(?:rgba?|hsla?|hwb|lab|lch|oklab|oklch)\(|"
        r":\s*(?:white|black|red|green|blue|gray|grey)\b",
        rules,
    )
    assert not literals, f"colours written in app.css's rules, not variables: {literals}"


def test_every_variable_used_is_defined():
    css = APP_CSS.read_text()
    defined = set(declarations(r"^:root \{"))
    used = set(re.findall(r"var\(--([\w-]+)\)", css))
    assert used <= defined, f"undefined: {sorted(used - defined)}"
