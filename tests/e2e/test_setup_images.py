"""Images in a real browser: a URL image and an uploaded one read by demo/markdown, and a
column whose model cannot read images warned about as soon as both are chosen, its run
refused."""

import base64

from playwright.sync_api import expect

from playground.models import Run
from tests.setups.test_request_bodies import PNG


def open_images(page):
    page.get_by_test_id("images-section").locator("summary").click()


def test_a_url_image_and_an_uploaded_one_reach_an_image_model(page, fake, tmp_path):
    page.goto("/?models=demo/markdown")
    page.get_by_test_id("prompt").fill("What do you see?")
    open_images(page)
    page.get_by_test_id("image-urls").fill("https://example.com/harbour.jpg")
    photo = tmp_path / "dot.png"
    photo.write_bytes(PNG)
    page.get_by_test_id("image-files").set_input_files(str(photo))
    # Two images of 765 tokens each, and 16 characters of prompt.
    expect(page.get_by_test_id("estimate-total")).to_have_attribute("data-prompt-tokens", "1534")
    expect(page.get_by_test_id("setup-warning")).to_have_count(0)

    page.get_by_test_id("run").click()
    result = page.get_by_test_id("result")
    expect(result).to_have_attribute("data-status", "done", timeout=20_000)
    output = result.get_by_test_id("result-output")
    expect(output).to_contain_text("https://example.com/harbour.jpg")
    expect(output).to_contain_text("an uploaded image/png")

    column = Run.objects.get().columns.get()
    content = column.request_body["input"][0]["content"]
    assert [part["type"] for part in content] == ["input_text", "input_image", "input_image"]
    assert content[2]["image_url"] == "data:image/png;base64," + base64.b64encode(PNG).decode()


def test_a_model_without_image_input_is_warned_about_and_its_run_refused(page, fake):
    page.goto("/?models=demo/markdown,demo/swift")
    page.get_by_test_id("prompt").fill("Describe the picture.")
    expect(page.get_by_test_id("estimate-total")).to_be_visible()
    expect(page.get_by_test_id("setup-warning")).to_have_count(0)

    open_images(page)
    page.get_by_test_id("image-urls").fill("https://example.com/cat.png")
    warning = page.get_by_test_id("setup-warning")
    expect(warning).to_have_text(
        "Column 2 (demo/swift) does not read images: remove the images, or pick a model "
        "with image input."
    )

    page.get_by_test_id("run").click()
    expect(page.get_by_test_id("form-errors")).to_contain_text(
        "Column 2 (demo/swift) does not read images"
    )
    expect(page.get_by_test_id("image-urls")).to_have_value("https://example.com/cat.png")
    assert not Run.objects.exists()

    # Another model for that column, and the warning goes.
    model = page.get_by_test_id("column-model").nth(1)
    model.fill("demo/summarizer")
    model.press("Tab")
    expect(page.get_by_test_id("setup-warning")).to_have_count(0)
    page.get_by_test_id("run").click()
    expect(page.get_by_test_id("result")).to_have_count(2)
    assert [c.model for c in Run.objects.get().columns.all()] == [
        "demo/markdown",
        "demo/summarizer",
    ]


def test_an_upload_survives_the_form_coming_back_with_an_error(page, fake, tmp_path):
    page.goto("/?models=demo/markdown")
    open_images(page)
    photo = tmp_path / "dot.png"
    photo.write_bytes(PNG)
    page.get_by_test_id("image-files").set_input_files(str(photo))
    page.get_by_test_id("prompt").fill("What is it?")
    page.get_by_test_id("budget").fill("0.000001")
    page.get_by_test_id("run").click()
    expect(page.get_by_test_id("budget-error")).to_contain_text("over its budget")
    assert not Run.objects.exists()

    page.get_by_test_id("budget").fill("")
    page.get_by_test_id("run").click()
    expect(page.get_by_test_id("result")).to_have_count(1)
    images = Run.objects.get().setup["images"]
    assert images == ["data:image/png;base64," + base64.b64encode(PNG).decode()]
