"""Every way the compare form's setup can be wrong: the form comes back saying what and
where (a column by its number and model, a tool by its number and name), with what was
typed, and nothing is saved."""

import base64
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from playground.models import Run, RunColumn
from playground.setups.limits import MAX_IMAGE_BYTES
from tests.setups.test_request_bodies import PNG, post_run

pytestmark = pytest.mark.django_db

GIF = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"


def refused(response, message: str) -> str:
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#compare-form"
    html = response.content.decode()
    assert message in html, html[:4000]
    assert not Run.objects.exists() and not RunColumn.objects.exists()
    return html


@pytest.mark.parametrize(
    ("models", "fields", "message"),
    [
        # Parameters of the run
        (("demo/swift",), {"top_p": "1.5"}, "less than or equal to 1."),
        (("demo/swift",), {"top_k": "-1"}, "greater than or equal to 0."),
        (("demo/swift",), {"frequency_penalty": "-3"}, "greater than or equal to -2."),
        (("demo/swift",), {"presence_penalty": "2.5"}, "less than or equal to 2."),
        (("demo/swift",), {"reasoning_summary": "verbose"}, "Select a valid choice."),
        (("demo/swift",), {"verbosity": "max"}, "Select a valid choice."),
        (
            ("demo/reasoner",),
            {"reasoning_effort": "low", "reasoning_max_tokens": "100"},
            "Set a reasoning effort or a reasoning token budget, not both.",
        ),
        (
            ("demo/swift", "demo/echo"),
            {"max_output_tokens": "40000"},
            "Column 2 (demo/echo): max output tokens 40,000 is more than the model&#x27;s "
            "context of 32,768 tokens.",
        ),
        # A column's own parameters
        (
            ("demo/swift", "demo/summarizer"),
            {"col-temperature": ["", "0.5"]},
            "Column 2 (demo/summarizer) does not support temperature: clear it or pick "
            "another model.",
        ),
        (
            ("demo/swift",),
            {"col-reasoning_effort": "low"},
            "Column 1 (demo/swift) does not support reasoning effort",
        ),
        (
            ("demo/swift",),
            {"col-temperature": "3"},
            "Column 1 (demo/swift), temperature: Ensure this value is less than or equal to 2.",
        ),
        (
            ("demo/reasoner",),
            {"col-reasoning_effort": "low", "col-reasoning_max_tokens": "10"},
            "Column 1 (demo/reasoner), reasoning token budget: Set a reasoning effort or a "
            "reasoning token budget, not both.",
        ),
        (
            ("demo/echo",),
            {"col-max_output_tokens": "40000"},
            "Column 1 (demo/echo): max output tokens 40,000 is more than the model&#x27;s "
            "context of 32,768 tokens.",
        ),
        # Routing
        (
            ("demo/swift",),
            {"col-provider_order": "demo labs"},
            "Column 1 (demo/swift), provider order: “demo labs” is not a provider slug",
        ),
        (
            ("demo/swift",),
            {"col-provider_sort": "cheapest"},
            "Column 1 (demo/swift), sort providers by: Select a valid choice.",
        ),
        (
            ("demo/swift",),
            {"col-max_price_prompt": "-1"},
            "Column 1 (demo/swift), max prompt price ($/m tokens): Ensure this value is "
            "greater than or equal to 0.",
        ),
        (
            ("demo/swift",),
            {"col-max_price_completion": "cheap"},
            "Column 1 (demo/swift), max completion price ($/m tokens): Enter a number.",
        ),
        (
            ("demo/swift",),
            {"col-fallback_models": "demo/echo, demo/quiet, demo/slow, demo/markdown"},
            "At most 3 fallback models.",
        ),
        (
            ("demo/swift",),
            {"col-fallback_models": "nobody/nothing"},
            "Column 1 (demo/swift): unknown fallback model “nobody/nothing”.",
        ),
        # Tools
        (
            ("demo/swift",),
            {"tool-description": "Has no name"},
            "Tool 1, name: Name the tool, or clear its fields to remove it.",
        ),
        (
            ("demo/swift",),
            {"tool-name": "get weather"},
            "Tool 1 (get weather), name: A tool name is 1 to 64 letters",
        ),
        (
            ("demo/swift",),
            {"tool-name": "f", "tool-parameters": '{"type": "object",'},
            "Tool 1 (f), parameters: Not valid JSON: Expecting property name enclosed in "
            "double quotes (line 1, column 19).",
        ),
        (
            ("demo/swift",),
            {"tool-name": "f", "tool-parameters": '{"type": "string"}'},
            "Must be the JSON schema of an object",
        ),
        (
            ("demo/swift",),
            {
                "tool-name": "f",
                "tool-parameters": '{"type": "object", "properties": {"city": {"type": "text"}}}',
            },
            "city: type &quot;text&quot; is not one of string, number, integer, boolean, "
            "object, array, null.",
        ),
        (
            ("demo/swift",),
            {
                "tool-name": "f",
                "tool-parameters": '{"type": "object", "properties": {}, "required": ["city"]}',
            },
            "required names city, not in properties.",
        ),
        (
            ("demo/swift",),
            {"tool-name": ["f", "f"]},
            "Two tools have the same name: tool names must differ.",
        ),
        (
            ("demo/swift",),
            {"tool-name": "f", "tool_choice": "g"},
            "Choose auto, none, required or the name of a tool (f).",
        ),
        (
            ("demo/swift",),
            {"tool_choice": "auto"},
            "There is no tool to choose: add one, or clear this.",
        ),
        # Web search and structured output
        (
            ("demo/swift",),
            {"web_search": "on", "web_search_max_results": "11"},
            "less than or equal to 10.",
        ),
        (("demo/swift",), {"schema": "[1, 2]"}, "Must be the JSON schema of an object"),
        (("demo/swift",), {"schema": "{nope"}, "Not valid JSON: Expecting property name"),
        (
            ("demo/swift",),
            {"schema": json.dumps({"type": "object"}), "schema_name": "my schema"},
            "Name the schema: 1 to 64 letters, digits, underscores or hyphens.",
        ),
        # Images
        (
            ("demo/markdown",),
            {"image_urls": "http://example.com/a.png"},
            "is not an https:// URL: models fetch images from https:// addresses.",
        ),
        (
            ("demo/markdown",),
            {"image_urls": "data:image/png;base64,bm90IGFuIGltYWdl"},
            "The image in a data: URL is not a PNG, JPEG, GIF or WebP image.",
        ),
        (
            ("demo/markdown",),
            {"image_urls": "data:image/png;base64,%%%"},
            "is not a base64 data:image URL.",
        ),
        (
            ("demo/markdown",),
            {"image_urls": "\n".join(f"https://example.com/{n}.png" for n in range(5))},
            "5 images: a run can send at most 4.",
        ),
        (
            ("demo/swift", "demo/markdown"),
            {"image_urls": "https://example.com/a.png"},
            "Column 1 (demo/swift) does not read images: remove the images, or pick a model "
            "with image input.",
        ),
        # Budget
        (("demo/swift",), {"budget": "-1"}, "greater than or equal to 0."),
        (("demo/swift",), {"budget": "lots"}, "Enter a number."),
    ],
)
def test_a_wrong_setup_is_explained_and_saves_nothing(alice_client, fake, models, fields, message):
    refused(post_run(alice_client, models=models, **fields), message)


def test_a_file_that_is_not_an_image_is_refused_whatever_its_name(alice_client, fake):
    upload = SimpleUploadedFile("cat.png", b"just text, not pixels", content_type="image/png")
    refused(
        post_run(alice_client, models=("demo/markdown",), files=[upload]),
        "“cat.png” is not a PNG, JPEG, GIF or WebP image.",
    )


def test_an_image_over_five_megabytes_is_refused(alice_client, fake):
    big = SimpleUploadedFile("big.png", PNG + b"\0" * MAX_IMAGE_BYTES, content_type="image/png")
    refused(
        post_run(alice_client, models=("demo/markdown",), files=[big]),
        "“big.png” is 5.0\xa0MB; images up to 5.0\xa0MB can be attached.",
    )


def test_uploads_and_urls_count_together_toward_four_images(alice_client, fake):
    files = [SimpleUploadedFile(f"{n}.gif", GIF) for n in range(3)]
    refused(
        post_run(
            alice_client,
            models=("demo/markdown",),
            files=files,
            image_urls="https://example.com/a.png\nhttps://example.com/b.png",
        ),
        "5 images: a run can send at most 4.",
    )


def test_a_webp_and_a_gif_upload_are_accepted(alice_client, fake):
    # A WebP file is a RIFF container of the WEBP kind; the rest is its image data.
    webp = b"RIFF\x1a\x00\x00\x00WEBPVP8L" + b"\x0d\x00\x00\x00/\x00\x00\x00\x10\x07\x10\x11"
    files = [SimpleUploadedFile("a.webp", webp), SimpleUploadedFile("b.gif", GIF)]
    response = post_run(alice_client, models=("demo/markdown",), files=files)
    assert response.status_code == 200 and "form-errors" not in response.content.decode()
    images = Run.objects.get().setup["images"]
    assert [image.split(";")[0] for image in images] == ["data:image/webp", "data:image/gif"]
    assert images[1] == "data:image/gif;base64," + base64.b64encode(GIF).decode()


def test_the_form_comes_back_with_each_columns_settings_as_typed(alice_client, fake):
    html = refused(
        post_run(
            alice_client,
            models=("demo/swift", "demo/markdown"),
            prompt="",
            **{
                "col-temperature": ["0.25", ""],
                "col-provider_only": ["", "nearby-cloud"],
                "tool-name": "keep_me",
            },
        ),
        "Write a prompt to send to the models.",
    )
    assert 'name="col-temperature" value="0.25"' in html
    assert 'name="col-provider_only" value="nearby-cloud"' in html
    assert 'name="tool-name" value="keep_me"' in html


def test_more_than_eight_columns_are_refused_without_rendering_hundreds(alice_client, fake):
    html = refused(
        post_run(alice_client, models=["demo/swift"] * 500), "At most 8 columns can run at once."
    )
    assert html.count('data-testid="column"') <= 17
