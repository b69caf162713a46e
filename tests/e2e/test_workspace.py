"""The compare page as a workspace, in a real browser on a wide and a phone-sized window:
the answers come into view when a run starts, columns sit side by side, an answer
follows its stream until the person scrolls up in it, badges name the fastest and the
cheapest columns, and the copy buttons copy what they say."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from playground.models import Run, RunColumn
from tests.factories import a_finished_run

WIDE = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
FOUR = ["demo/markdown", "demo/swift", "demo/reasoner", "demo/echo"]


def start(page, models, prompt="Explain streaming with a list and code."):
    page.goto("/?models=" + ",".join(models))
    page.get_by_test_id("prompt").fill(prompt)
    page.get_by_test_id("run").click()
    expect(page.get_by_test_id("result")).to_have_count(len(models))


def on_screen(page, locator) -> bool:
    """Whether some of the element shows in the window as it is scrolled now (read in
    the page at once: a column's end may replace its element in between)."""
    return locator.evaluate(
        """e => { const b = e.getBoundingClientRect();
             return b.top < innerHeight && b.bottom > 0 && b.left < innerWidth; }"""
    )


@pytest.mark.parametrize("window", [WIDE, PHONE], ids=["1440x900", "390x844"])
def test_after_run_the_first_answer_is_on_screen(page, fake, window):
    fake.time_scale = 0.3
    page.set_viewport_size(window)
    start(page, FOUR)

    first = page.get_by_test_id("result").first.get_by_test_id("result-output")
    expect(first).not_to_be_empty()
    assert on_screen(page, first)
    # The setup folded to its prompt and a bar, still at hand for the next run.
    expect(page.get_by_test_id("setup-bar")).to_be_visible()
    expect(page.get_by_test_id("setup-bar-models")).to_have_text(" · ".join(FOUR))
    expect(page.get_by_test_id("prompt")).to_be_visible()
    expect(page.get_by_test_id("add-column")).to_be_hidden()
    if window == WIDE:
        # Read at once in the page: a column's end replaces its element meanwhile.
        boxes = page.eval_on_selector_all(
            "[data-testid=result]",
            "rs => rs.map(r => { const b = r.getBoundingClientRect();"
            " return {x: b.x, y: b.y, width: b.width}; })",
        )
        assert len({round(box["y"]) for box in boxes}) == 1  # side by side
        assert [box["x"] for box in boxes] == sorted(box["x"] for box in boxes)
        assert boxes[-1]["x"] + boxes[-1]["width"] <= WIDE["width"]
        assert all(box["width"] >= 300 for box in boxes)
    else:
        # One column fills the window, the others wait to the side, swiped.
        width = page.get_by_test_id("result").first.evaluate("e => e.offsetWidth")
        assert width >= PHONE["width"] * 0.8
        assert not on_screen(page, page.get_by_test_id("result").nth(2))


def test_edit_unfolds_the_setup_and_a_finished_run_opens_folded(page, alice):
    run = a_finished_run(alice)
    page.set_viewport_size(WIDE)
    page.goto(f"/runs/{run.pk}/")
    edit = page.get_by_test_id("edit-setup")
    expect(edit).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_test_id("add-column")).to_be_hidden()
    assert on_screen(page, page.get_by_test_id("result").first.get_by_test_id("result-output"))

    edit.click()
    expect(page.get_by_test_id("add-column")).to_be_visible()
    expect(edit).to_have_attribute("aria-expanded", "true")
    expect(edit).to_have_text("Fold setup")
    edit.click()
    expect(page.get_by_test_id("add-column")).to_be_hidden()


def scroll_state(box) -> dict:
    return box.evaluate(
        "b => ({top: b.scrollTop, bottom: b.scrollHeight - b.scrollTop - b.clientHeight,"
        " scrollable: b.scrollHeight > b.clientHeight + 40})"
    )


def test_an_answer_follows_its_stream_until_the_person_scrolls_up(page, fake):
    fake.time_scale = 0.4
    page.set_viewport_size({"width": 1440, "height": 500})  # a short box fills soon
    start(page, ["demo/slow", "demo/slow"], prompt="Take your time, in detail.")
    boxes = page.get_by_test_id("result-output")
    box = boxes.first
    page.wait_for_function(
        "() => { const b = document.querySelector('[data-testid=result-output]');"
        " return b.scrollHeight > b.clientHeight + 40; }"
    )
    # Following: the newest text stays in view.
    page.wait_for_timeout(400)
    assert scroll_state(box)["bottom"] <= 30

    box.evaluate("b => b.scrollTo(0, 0)")
    grown = box.evaluate("b => b.scrollHeight")
    page.wait_for_function(
        f"() => document.querySelector('[data-testid=result-output]').scrollHeight > {grown} + 40"
    )
    assert scroll_state(box)["top"] == 0  # left where the person put it
    # The other column went on following.
    assert scroll_state(boxes.nth(1))["bottom"] <= 30

    # Back at the end, it follows again.
    box.evaluate("b => b.scrollTo(0, b.scrollHeight)")
    grown = box.evaluate("b => b.scrollHeight")
    page.wait_for_function(
        f"() => document.querySelector('[data-testid=result-output]').scrollHeight > {grown} + 40"
    )
    page.wait_for_timeout(200)
    assert scroll_state(box)["bottom"] <= 30
    page.get_by_test_id("stop").click()


def test_copy_buttons_copy_the_answer_and_the_code(page, fake):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    start(page, ["demo/markdown", "demo/swift"])
    expect(page.get_by_test_id("run-status")).to_have_attribute("data-status", "done")
    markdown = RunColumn.objects.get(model="demo/markdown")

    result = page.locator('[data-testid=result][data-model="demo/markdown"]')
    result.get_by_test_id("copy-answer").click()
    expect(result.get_by_test_id("copy-answer")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == markdown.output_text

    code = result.locator("pre code").first
    result.get_by_test_id("copy-code").first.click()
    expect(result.get_by_test_id("copy-code").first).to_have_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == code.text_content() and copied.strip() in markdown.output_text


def a_run_with_known_figures(owner) -> Run:
    run = a_finished_run(owner, models=("demo/swift", "demo/echo", "demo/markdown"))
    figures = {
        0: {"ttft_ms": 100, "total_ms": 2100, "output_tokens": 100, "cost": "0.002"},
        1: {"ttft_ms": 300, "total_ms": 1300, "output_tokens": 100, "cost": "0.001"},
        2: {"ttft_ms": 200, "total_ms": 1700, "output_tokens": 300, "cost": "0.003"},
    }
    for position, values in figures.items():
        values["cost"] = Decimal(values["cost"])
        RunColumn.objects.filter(run=run, position=position).update(**values)
    return run


def badges_by_model(page) -> dict[str, list[str]]:
    return page.eval_on_selector_all(
        "[data-testid=result]",
        """results => Object.fromEntries(results.map(r => [r.dataset.model,
             [...r.querySelectorAll('[data-testid=badge]')].map(b => b.dataset.badge)]))""",
    )


def test_badges_name_the_fastest_and_cheapest_columns_and_columns_sort_by_them(page, alice):
    run = a_run_with_known_figures(alice)
    page.set_viewport_size(WIDE)
    page.goto(f"/runs/{run.pk}/")

    assert badges_by_model(page) == {
        "demo/swift": ["fastest-first-token"],
        "demo/echo": ["fastest-total", "cheapest"],
        "demo/markdown": ["fastest-speed"],
    }
    order = page.get_by_test_id("sort-columns")
    shown = page.locator("[data-testid=result]")
    order.select_option("cost")
    expect(shown.first).to_have_attribute("data-model", "demo/echo")
    assert [shown.nth(i).get_attribute("data-model") for i in range(3)] == [
        "demo/echo",
        "demo/swift",
        "demo/markdown",
    ]
    order.select_option("tokens-per-second")
    expect(shown.first).to_have_attribute("data-model", "demo/markdown")
    order.select_option("")
    expect(shown.first).to_have_attribute("data-model", "demo/swift")


def test_badges_arrive_with_the_end_of_a_live_run(page, fake):
    fake.time_scale = 0.2
    start(page, ["demo/swift", "demo/slow"], prompt="Hi")
    expect(page.get_by_test_id("run-status")).to_have_attribute("data-status", "done")
    from playground.runs.badges import run_badges

    run = Run.objects.get()
    won = run_badges(run.columns.all())
    expected = {c.model: [b.key for b in won[c.position]] for c in run.columns.all()}
    assert any(expected.values())
    expect(page.get_by_test_id("badge")).to_have_count(sum(map(len, expected.values())))
    assert badges_by_model(page) == expected


def test_a_column_widens_to_the_full_width_and_back_and_columns_scroll_together(page, alice):
    run = a_finished_run(alice, models=("demo/swift", "demo/echo"), output="word " * 3000)
    page.set_viewport_size(WIDE)
    page.goto(f"/runs/{run.pk}/")
    results = page.locator("[data-role=results]")
    second = page.get_by_test_id("result").nth(1)
    narrow = second.bounding_box()["width"]

    second.get_by_test_id("widen").click()
    expect(second.get_by_test_id("widen")).to_have_attribute("aria-pressed", "true")
    assert abs(second.bounding_box()["width"] - results.bounding_box()["width"]) < 4
    second.get_by_test_id("widen").click()
    expect(second.get_by_test_id("widen")).to_have_attribute("aria-pressed", "false")
    assert abs(second.bounding_box()["width"] - narrow) < 4

    page.get_by_test_id("lock-scroll").check()
    boxes = page.get_by_test_id("result-output")
    boxes.first.evaluate("b => { b.scrollTop = (b.scrollHeight - b.clientHeight) / 2; }")
    page.wait_for_function(
        "() => { const [a, b] = document.querySelectorAll('[data-testid=result-output]');"
        " return Math.abs(a.scrollTop - b.scrollTop) < 5 && b.scrollTop > 0; }"
    )


# The page's answer without the Copy buttons the page adds to its code blocks.
ANSWER_HTML = """result => {
  const box = result.querySelector('[data-testid=result-output]').cloneNode(true);
  box.querySelectorAll('[data-role=copy-code]').forEach(b => b.remove());
  return box.innerHTML; }"""


def test_a_markdown_answer_takes_shape_as_it_streams_and_ends_as_stored(page, fake):
    fake.time_scale = 2  # demo/markdown then takes a few seconds
    page.goto("/?models=demo/markdown")
    # What the column showed the moment before its end replaced it.
    page.evaluate(
        """() => document.addEventListener('htmx:sseBeforeMessage', event => {
             if (event.detail.type !== 'c0-end') return;
             const live = event.target.querySelector('[data-testid=result-output]')
               .cloneNode(true);
             // htmx marks what it has just swapped in until it settles.
             live.querySelectorAll('.htmx-added').forEach(element => {
               element.classList.remove('htmx-added');
               if (!element.classList.length) element.removeAttribute('class'); });
             window.lastLive = [...live.children].map(part => part.innerHTML).join(''); })"""
    )
    page.get_by_test_id("prompt").fill("Notes, please.")
    page.get_by_test_id("run").click()
    live = page.locator('[data-testid=result][data-status="streaming"] [data-testid=result-output]')
    # Rendered while it streams: the heading, the list, then the code block taking shape.
    expect(live.locator("h2")).to_have_count(1)
    expect(live.locator("li")).to_have_count(4)
    expect(live.locator("pre code")).to_have_count(1)
    assert page.get_by_test_id("result").get_attribute("data-status") == "streaming"

    result = page.get_by_test_id("result")
    expect(result).to_have_attribute("data-status", "done")
    final = result.evaluate(ANSWER_HTML)
    # No jump at the end: the last live page is the final one, which a reload shows too.
    assert page.evaluate("window.lastLive") == final
    assert "<li>" in final and '<code class="language-python">' in final
    page.reload()
    assert page.get_by_test_id("result").evaluate(ANSWER_HTML) == final
