"""Per-column settings in a real browser: two columns with their own temperatures, the
same model through two providers, and the parameters a column offers following its
model."""

import json

from playwright.sync_api import expect

from playground.models import Run


def column(page, number):
    return page.get_by_test_id("column").nth(number - 1)


def open_settings(page, number):
    settings = column(page, number).get_by_test_id("column-settings")
    if not settings.evaluate("summary => summary.parentElement.open"):
        settings.click()
    return column(page, number)


def run_and_wait(page, count):
    page.get_by_test_id("run").click()
    expect(page.get_by_test_id("result")).to_have_count(count)
    for index in range(count):
        expect(page.get_by_test_id("result").nth(index)).to_have_attribute(
            "data-status", "done", timeout=20_000
        )
    return Run.objects.get()


def test_two_columns_with_their_own_temperature_and_provider(page, fake):
    page.goto("/?models=demo/swift,demo/swift")
    page.get_by_test_id("prompt").fill("Compare providers.")
    page.get_by_test_id("temperature").fill("0.5")
    # With the same settings for all columns, a column's own parameters are hidden.
    expect(page.get_by_test_id("same-settings")).to_be_checked()
    first = open_settings(page, 1)
    expect(first.get_by_test_id("col-temperature")).to_be_hidden()
    expect(first.get_by_test_id("col-provider_only")).to_be_visible()

    page.get_by_test_id("same-settings").uncheck()
    first.get_by_test_id("col-temperature").fill("0.2")
    first.get_by_test_id("col-provider_only").fill("demo-labs")
    second = open_settings(page, 2)
    second.get_by_test_id("col-provider_only").fill("swiftserve")
    run = run_and_wait(page, 2)

    one, two = run.columns.all()
    assert (one.request_body["temperature"], two.request_body["temperature"]) == (0.2, 0.5)
    assert one.request_body["provider"] == {"only": ["demo-labs"]}
    assert two.request_body["provider"] == {"only": ["swiftserve"]}

    # The inspector shows what each column sent and who served it.
    page.goto(f"/runs/{run.pk}/columns/1/")
    body = json.loads(page.get_by_test_id("request-body").text_content())
    assert body["provider"] == {"only": ["swiftserve"]} and body["temperature"] == 0.5
    expect(page.get_by_test_id("response-object")).to_contain_text('"provider": "SwiftServe"')
    page.goto(f"/runs/{run.pk}/columns/0/")
    expect(page.get_by_test_id("response-object")).to_contain_text('"provider": "Demo Labs"')


def test_a_column_offers_the_parameters_of_the_model_picked(page, fake):
    page.goto("/?models=demo/swift")
    page.get_by_test_id("same-settings").uncheck()
    settings = open_settings(page, 1)
    expect(settings.get_by_test_id("col-temperature")).to_be_visible()
    expect(settings.get_by_test_id("col-reasoning_effort")).to_have_count(0)

    model = settings.get_by_test_id("column-model")
    model.fill("demo/summarizer")
    model.press("Tab")  # the field's change brings the new model's settings
    expect(settings.get_by_test_id("column-options")).to_have_attribute(
        "data-model", "demo/summarizer"
    )
    expect(settings.get_by_test_id("col-temperature")).to_have_count(0)
    expect(settings.get_by_test_id("column-withheld")).to_contain_text(
        "demo/summarizer takes no temperature, top p, top k"
    )
    open_settings(page, 1).get_by_test_id("col-reasoning_effort").select_option("low")
    page.get_by_test_id("prompt").fill("Summarize the sea.")
    run = run_and_wait(page, 1)
    assert run.columns.get().request_body["reasoning"] == {"effort": "low"}


def test_a_value_beyond_what_a_model_takes_is_refused_naming_the_column(page, fake):
    page.goto("/?models=demo/swift,demo/echo")
    page.get_by_test_id("same-settings").uncheck()
    open_settings(page, 2).get_by_test_id("col-max_output_tokens").fill("40000")
    page.get_by_test_id("prompt").fill("A long answer")
    page.get_by_test_id("run").click()
    expect(page.get_by_test_id("form-errors")).to_contain_text(
        "Column 2 (demo/echo): max output tokens 40,000 is more than the model's context "
        "of 32,768 tokens."
    )
    # The form came back with the column's settings open and as typed.
    expect(column(page, 2).get_by_test_id("col-max_output_tokens")).to_have_value("40000")
    expect(column(page, 2).get_by_test_id("col-max_output_tokens")).to_be_visible()
    assert not Run.objects.exists()


def test_a_column_added_in_the_page_brings_its_own_settings(page, fake):
    page.goto("/?models=demo/swift")
    page.get_by_test_id("add-column").click()
    column(page, 2).get_by_test_id("column-model").fill("demo/echo")
    page.get_by_test_id("same-settings").uncheck()
    open_settings(page, 2).get_by_test_id("col-temperature").fill("0.7")
    column(page, 2).get_by_test_id("col-provider_only").fill("nearby-cloud")
    page.get_by_test_id("prompt").fill("Echo this.")
    run = run_and_wait(page, 2)
    swift, echo = run.columns.all()
    assert "temperature" not in swift.request_body and "provider" not in swift.request_body
    assert echo.request_body["temperature"] == 0.7
    assert echo.request_body["provider"] == {"only": ["nearby-cloud"]}


def test_what_is_typed_while_a_new_models_settings_load_is_kept(page, fake):
    page.goto("/?models=demo/swift")
    page.get_by_test_id("same-settings").uncheck()
    settings = open_settings(page, 1)
    expect(settings.get_by_test_id("col-temperature")).to_be_visible()
    # The new model's settings are held on their way, while the person goes on typing.
    held = []
    page.route(lambda url: "/setup/column/" in url, lambda route: held.append(route))
    settings.get_by_test_id("column-model").fill("demo/echo")
    settings.get_by_test_id("column-model").press("Tab")
    while not held:
        page.wait_for_timeout(20)
    settings.get_by_test_id("col-temperature").fill("0.7")
    settings.get_by_test_id("col-provider_only").fill("nearby-cloud")
    held[0].continue_()

    expect(settings.get_by_test_id("column-options")).to_have_attribute("data-model", "demo/echo")
    expect(settings.get_by_test_id("col-temperature")).to_be_visible()
    expect(settings.get_by_test_id("col-temperature")).to_have_value("0.7")
    expect(settings.get_by_test_id("col-provider_only")).to_have_value("nearby-cloud")
    expect(settings.get_by_test_id("col-provider_only")).to_be_focused()
    page.get_by_test_id("prompt").fill("Echo this.")
    echo = run_and_wait(page, 1).columns.get()
    assert echo.request_body["temperature"] == 0.7
    assert echo.request_body["provider"] == {"only": ["nearby-cloud"]}
