"""The model picker in a real browser: open it for a column, search, filter, sort, choose a
model and run the comparison with it; the same without JavaScript; refreshing the list."""

from playwright.sync_api import expect

from playground.fake_openrouter import CATALOG
from playground.models import Run
from tests.factories import browser_cookies


def picker_rows(page):
    return page.get_by_test_id("model-picker").get_by_test_id("picker-model")


def model_ids(page) -> list[str]:
    return [row.get_attribute("data-model-id") for row in picker_rows(page).all()]


def test_a_model_chosen_in_the_picker_runs_in_its_column(page, fake):
    page.goto("/?models=demo/swift,demo/echo")
    columns = page.get_by_test_id("column-model")
    page.get_by_test_id("browse-models").nth(1).click()

    dialog = page.get_by_test_id("model-picker")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading")).to_have_text("Choose a model for column 2")
    expect(picker_rows(page)).to_have_count(len(CATALOG))
    markdown = dialog.locator('[data-model-id="demo/markdown"]')
    expect(markdown.get_by_test_id("picker-context")).to_have_text("1,048,576")
    expect(markdown.get_by_test_id("picker-input-price")).to_have_text("$0.3")
    expect(markdown.get_by_test_id("picker-output-price")).to_have_text("$2.5")
    expect(markdown.get_by_test_id("picker-modalities")).to_have_text("text, image")
    expect(markdown.get_by_test_id("badge-tools")).to_be_visible()
    expect(markdown.get_by_test_id("badge-reasoning")).to_have_count(0)

    # Search by name, as the person types.
    dialog.get_by_test_id("picker-search").fill("summar")
    expect(picker_rows(page)).to_have_count(1)
    expect(picker_rows(page).first).to_have_attribute("data-model-id", "demo/summarizer")
    dialog.get_by_test_id("picker-search").fill("")
    expect(picker_rows(page)).to_have_count(len(CATALOG))

    # Sort: by price the free model comes first, by context the longest.
    dialog.get_by_test_id("picker-sort").select_option("price")
    expect(picker_rows(page).first).to_have_attribute("data-model-id", "demo/swift:free")
    dialog.get_by_test_id("picker-sort").select_option("context")
    expect(picker_rows(page).first).to_have_attribute("data-model-id", "demo/markdown")

    # Filter: models that read images (still longest context first).
    dialog.get_by_test_id("filter-image_input").check()
    expect(picker_rows(page)).to_have_count(2)
    assert model_ids(page) == ["demo/markdown", "demo/summarizer"]
    dialog.get_by_test_id("filter-reasoning").check()
    expect(picker_rows(page)).to_have_count(1)
    dialog.get_by_test_id("filter-reasoning").uncheck()
    expect(picker_rows(page)).to_have_count(2)

    markdown.get_by_test_id("pick-model").click()
    expect(dialog).to_be_hidden()
    expect(columns.nth(1)).to_have_value("demo/markdown")
    expect(columns.nth(0)).to_have_value("demo/swift")
    expect(page).to_have_url("/?models=demo/swift,demo/echo")  # still on the compare page

    page.get_by_test_id("prompt").fill("Show me a table.")
    page.get_by_test_id("run").click()
    result = page.locator('[data-testid=result][data-model="demo/markdown"]')
    expect(result).to_have_attribute("data-status", "done", timeout=20_000)
    run = Run.objects.get()
    assert [column.model for column in run.columns.all()] == ["demo/swift", "demo/markdown"]


def test_a_column_added_on_the_page_gets_its_own_picker(page, fake):
    page.goto("/?models=demo/swift")
    page.get_by_test_id("add-column").click()
    page.get_by_test_id("browse-models").nth(1).click()

    dialog = page.get_by_test_id("model-picker")
    expect(dialog.get_by_role("heading")).to_have_text("Choose a model for column 2")
    dialog.get_by_test_id("filter-free").check()
    expect(picker_rows(page)).to_have_count(1)
    picker_rows(page).first.get_by_test_id("pick-model").click()

    columns = page.get_by_test_id("column-model")
    expect(columns.nth(1)).to_have_value("demo/swift:free")
    expect(columns.nth(0)).to_have_value("demo/swift")


def test_escape_or_the_close_button_closes_the_picker_and_keeps_the_model(page, fake):
    page.goto("/?models=demo/echo")
    page.get_by_test_id("browse-models").click()
    dialog = page.get_by_test_id("model-picker")
    expect(picker_rows(page)).to_have_count(len(CATALOG))

    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    page.get_by_test_id("browse-models").click()
    dialog.get_by_test_id("picker-close").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_test_id("column-model")).to_have_value("demo/echo")


def test_without_javascript_the_picker_is_a_page_of_links(browser, asgi_server, alice_client):
    context = browser.new_context(base_url=asgi_server.url, java_script_enabled=False)
    context.add_cookies(browser_cookies(alice_client, asgi_server.url))
    page = context.new_page()
    page.goto("/?models=demo/swift,demo/echo")

    page.get_by_test_id("browse-models").nth(1).click()
    expect(page).to_have_url("/models/?column=1&models=demo/swift%2Cdemo/echo")
    page.get_by_test_id("picker-search").fill("tool")
    page.get_by_test_id("filter-tools").check()
    page.get_by_test_id("picker-apply").click()
    expect(page.get_by_test_id("picker-model")).to_have_count(1)
    page.get_by_test_id("pick-model").click()

    expect(page).to_have_url("/?models=demo/swift,demo/tool-caller")
    expect(page.get_by_test_id("column-model").nth(1)).to_have_value("demo/tool-caller")
    context.close()


def test_refreshing_the_model_list_says_how_many_models_came(page, fake):
    page.goto("/")
    expect(page.get_by_test_id("catalog-age")).to_contain_text(f"{len(CATALOG)} models")

    page.get_by_test_id("prompt").fill("Not lost by a refresh")
    page.get_by_test_id("catalog-refresh").click()

    expect(page.get_by_test_id("catalog-refresh-result")).to_have_text(
        f"Model list refreshed: {len(CATALOG)} models."
    )
    expect(page.get_by_test_id("prompt")).to_have_value("Not lost by a refresh")
    expect(page.locator("#model-catalog option")).to_have_count(len(CATALOG))
