"""The parts of the compare form fetched on their own: a column's settings for the model
it names (only the parameters that model takes), a new tool's fields; and the uploaded
images of a reopened run or preset, kept without uploading them again."""

import base64

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from playground.models import Run
from playground.presets.versions import preset_create
from playground.setups.format import setup_from_values
from tests.setups.test_request_bodies import PNG, post_run

pytestmark = pytest.mark.django_db

PNG_URL = "data:image/png;base64," + base64.b64encode(PNG).decode()


def column_html(client, model, **values) -> str:
    query = {"models": model, **{f"col-{name}": value for name, value in values.items()}}
    response = client.get("/setup/column/", query, headers={"HX-Request": "true"})
    assert response.status_code == 200
    return response.content.decode()


def test_a_column_offers_only_the_parameters_its_model_takes(alice_client, fake):
    swift = column_html(alice_client, "demo/swift")
    assert 'name="col-temperature" step="0.1"' in swift
    assert 'name="col-top_k"' in swift and 'type="hidden" name="col-top_k"' not in swift
    assert '<input type="hidden" name="col-reasoning_effort" value="">' in swift
    assert (
        "demo/swift takes no reasoning effort, reasoning token budget, reasoning summary" in swift
    )

    summarizer = column_html(alice_client, "demo/summarizer")
    assert '<input type="hidden" name="col-temperature" value="">' in summarizer
    assert '<input type="hidden" name="col-top_p" value="">' in summarizer
    assert '<select name="col-reasoning_effort"' in summarizer
    assert '<select name="col-verbosity"' in summarizer


def test_a_new_model_keeps_what_was_typed_where_it_still_applies(alice_client, fake):
    html = column_html(
        alice_client,
        "demo/summarizer",
        temperature="0.3",
        max_output_tokens="77",
        provider_only="nearby-cloud",
    )
    assert 'name="col-max_output_tokens" value="77"' in html
    assert '<input type="hidden" name="col-temperature" value="">' in html
    assert 'name="col-provider_only" value="nearby-cloud"' in html
    assert "does not support" not in html  # a dropped value is not an error


def test_a_model_the_catalog_does_not_know_is_offered_every_parameter(alice_client, fake):
    html = column_html(alice_client, "someone/else")
    assert html.count('type="hidden"') == 1  # only the mark that its fields are here
    assert '<input type="hidden" name="col-loaded" value="1">' in html


def test_a_columns_settings_are_in_the_page_only_once_set_or_opened(alice_client, alice, fake):
    html = alice_client.get("/?models=demo/swift,demo/summarizer").content.decode()
    page, template = html.split('id="column-template"')
    assert 'name="col-temperature"' not in page
    assert page.count('<input type="hidden" name="col-loaded" value="0">') == 2
    assert page.count('hx-get="/setup/column/?unfold=1" hx-trigger="toggle once"') == 2
    # A column added in the page brings its settings, every parameter offered.
    assert '<input type="hidden" name="col-loaded" value="1">' in template
    assert 'name="col-temperature"' in template and 'name="col-verbosity"' in template

    opened = alice_client.get(
        "/setup/column/", {"unfold": "1", "models": "demo/swift", "col-loaded": "0"}
    ).content.decode()
    assert '<details class="column-settings" open>' in opened
    assert 'name="col-temperature"' in opened

    setup = setup_from_values(
        prompt="", instructions="", parameters={}, models=["demo/swift", "demo/echo"],
        same_settings=False,
        columns=[{"model": "demo/swift"}, {"model": "demo/echo", "parameters": {"top_p": 0.5}}],
    )  # fmt: skip
    preset = preset_create(owner=alice, name="Own settings", setup=setup)
    html = alice_client.get(f"/?preset={preset.pk}").content.decode()
    assert html.count('name="col-loaded" value="0"') == 1
    assert 'name="col-top_p" value="0.5"' in html


def test_only_the_columns_whose_settings_were_in_the_page_send_them(alice_client, fake):
    response = post_run(
        alice_client,
        models=("demo/swift", "demo/echo", "demo/swift"),
        **{
            "col-loaded": ["0", "1", "1"],
            "col-temperature": ["0.1", "0.2"],
            "col-provider_only": ["", "swiftserve"],
        },
    )
    assert "form-errors" not in response.content.decode()
    bodies = [c.request_body for c in Run.objects.get().columns.all()]
    assert [body.get("temperature") for body in bodies] == [None, 0.1, 0.2]
    assert [body.get("provider") for body in bodies] == [None, None, {"only": ["swiftserve"]}]


def test_a_tool_row_and_removing_one(alice_client):
    html = alice_client.get("/setup/tool/").content.decode()
    assert 'name="tool-name"' in html and 'name="tool-parameters"' in html
    assert 'hx-swap="delete"' in html
    assert alice_client.get("/setup/tool/?remove=1").content == b""


def test_the_parts_are_for_the_signed_in_only():
    for path in ("/setup/column/", "/setup/tool/"):
        response = Client().get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def a_run_with_an_upload(client) -> Run:
    upload = SimpleUploadedFile("map.png", PNG)
    post_run(
        client,
        models=("demo/markdown",),
        files=[upload],
        image_urls="https://example.com/a.png",
    )
    return Run.objects.get()


def test_a_reopened_run_offers_its_uploaded_images_to_keep(alice_client, fake):
    run = a_run_with_an_upload(alice_client)
    html = alice_client.get(f"/runs/{run.pk}/").content.decode()
    assert f'name="image_source" value="run:{run.pk}"' in html
    assert 'name="keep_image" value="1" data-testid="keep-image" checked' in html
    assert "uploaded image/png, 70\xa0bytes" in html
    assert "https://example.com/a.png</textarea>" in html
    assert base64.b64encode(PNG).decode() not in html  # named, not sent back

    post_run(
        alice_client,
        models=("demo/markdown",),
        image_urls="https://example.com/a.png",
        image_source=f"run:{run.pk}",
        keep_image="1",
    )
    again = Run.objects.latest("pk")
    assert again.setup["images"] == ["https://example.com/a.png", PNG_URL]


def test_an_image_unticked_is_not_sent_again(alice_client, fake):
    run = a_run_with_an_upload(alice_client)
    post_run(alice_client, models=("demo/markdown",), image_source=f"run:{run.pk}")
    assert Run.objects.latest("pk").setup["images"] == []


def test_a_preset_versions_uploaded_images_can_be_kept(alice_client, alice, fake):
    setup = setup_from_values(
        prompt="What is this?", instructions="", parameters={}, models=["demo/markdown"],
        images=[PNG_URL],
    )  # fmt: skip
    preset = preset_create(owner=alice, name="Photo", setup=setup)
    version = preset.latest_version
    html = alice_client.get(f"/?preset={preset.pk}").content.decode()
    assert f'name="image_source" value="version:{version.pk}"' in html
    post_run(
        alice_client,
        models=("demo/markdown",),
        image_source=f"version:{version.pk}",
        keep_image="0",
    )
    assert Run.objects.get().setup["images"] == [PNG_URL]


def test_another_persons_images_cannot_be_kept(alice_client, bob, fake):
    run = a_run_with_an_upload(alice_client)
    intruder = Client()
    intruder.force_login(bob)
    response = post_run(
        intruder, models=("demo/markdown",), image_source=f"run:{run.pk}", keep_image="1"
    )
    assert "The uploaded images of the setup this form was opened from are gone" in (
        response.content.decode()
    )
    assert Run.objects.count() == 1
