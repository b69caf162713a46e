"""The setup format, version 2, and the version 1 setups stored before it: presets, export
files, shared links and runs made before keep opening, running and showing."""

import base64
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from playground.models import Preset, PresetVersion, Run, RunColumn
from playground.presets import sharing
from playground.presets.versions import preset_create, setup_diff
from playground.setups.format import PARAMETERS, setup_normalize
from playground.setups.validation import setup_validate

pytestmark = pytest.mark.django_db

V1 = {
    "prompt": "Name three rivers.",
    "instructions": "Be brief.",
    "parameters": {"temperature": 0.7, "max_output_tokens": 300, "reasoning_effort": "low"},
    "columns": [{"model": "demo/reasoner"}, {"model": "demo/echo"}],
}
V2 = {
    "version": 2,
    "prompt": "Weather in {{city}} and a photo?",
    "instructions": "",
    "parameters": {**dict.fromkeys(PARAMETERS), "temperature": 0.4, "verbosity": "low"},
    "same_settings": False,
    "columns": [
        {
            "model": "demo/markdown",
            "parameters": {"top_k": 20, "max_output_tokens": 500},
            "routing": {
                "order": ["swiftserve", "demo-labs"],
                "sort": "latency",
                "allow_fallbacks": False,
                "zdr": True,
                "max_price_prompt": "0.5",
            },
            "fallback_models": ["demo/swift"],
        },
        {"model": "demo/markdown", "parameters": {}, "routing": {"only": ["nearby-cloud"]},
         "fallback_models": []},
    ],
    "tools": [
        {
            "name": "get_weather",
            "description": "Weather of a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
            "strict": False,
        }
    ],
    "tool_choice": "auto",
    "web_search": {"max_results": 2},
    "structured_output": None,
    "images": ["https://example.com/paris.jpg"],
    "budget": "0.25",
    "variables": {"city": "Paris"},
}  # fmt: skip


def test_a_version_1_setup_reads_as_version_2_with_the_rest_unset():
    setup = setup_normalize(V1)
    assert setup["version"] == 2 and setup["same_settings"] is True
    assert setup["parameters"] == {
        **dict.fromkeys(PARAMETERS),
        "temperature": 0.7,
        "max_output_tokens": 300,
        "reasoning_effort": "low",
    }
    assert setup["columns"][0] == {
        "model": "demo/reasoner",
        "parameters": {},
        "routing": {},
        "fallback_models": [],
    }
    assert (setup["tools"], setup["tool_choice"], setup["web_search"]) == ([], None, None)
    assert (setup["structured_output"], setup["images"], setup["budget"]) == (None, [], None)


def test_a_version_2_setup_passes_its_own_check_unchanged():
    setup, errors = setup_validate(V2)
    assert errors == {}
    assert setup == V2


def test_a_version_1_setup_passes_the_check_as_version_2():
    setup, errors = setup_validate(V1)
    assert errors == {}
    assert setup == setup_normalize(V1)


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        ({"parameters": {"top_p": 3}}, "parameters.top_p", "less than or equal to 1"),
        (
            {"columns": [{"model": "demo/swift", "parameters": {"temperature": 9}}]},
            "columns[0].parameters.temperature",
            "less than or equal to 2",
        ),
        (
            {"columns": [{"model": "demo/swift", "routing": {"sort": "fastest"}}]},
            "columns[0].routing.sort",
            "Select a valid choice",
        ),
        (
            {"columns": [{"model": "demo/swift", "routing": {"order": "demo-labs"}}]},
            "columns[0].routing.order",
            "must be a list of provider slugs",
        ),
        (
            {"columns": [{"model": "demo/swift", "fallback_models": "demo/echo"}]},
            "columns[0].fallback_models",
            "must be a list",
        ),
        (
            {"tools": [{"name": "f", "parameters": {"type": "array"}}]},
            "tools[0].parameters",
            "Must be the JSON schema of an object",
        ),
        ({"tools": [{"description": "no name"}]}, "tools[0].name", "This field is required."),
        ({"tool_choice": "g"}, "tool_choice", "Choose auto, none, required"),
        ({"web_search": {"max_results": 50}}, "web_search.max_results", "less than or equal"),
        (
            {"structured_output": {"name": "x", "schema": {"type": "object"}, "strict": "yes"}},
            "structured_output.strict",
            "must be true or false",
        ),
        ({"images": ["ftp://example.com/a.png"]}, "images", "is not an https:// URL"),
        ({"budget": "-0.01"}, "budget", "greater than or equal to 0"),
        ({"same_settings": "no"}, "same_settings", "must be true or false"),
        ({"version": 7}, "version", "must be 1 or 2"),
    ],
)
def test_a_wrong_version_2_setup_names_the_field(change, path, message):
    setup, errors = setup_validate({**V2, **change})
    assert setup is None
    assert any(message in text for text in errors.get(path, [])), errors


def test_unknown_keys_in_a_setup_are_left_out():
    hostile = {
        **V2,
        "base_url": "https://elsewhere.example",
        "columns": [{"model": "demo/swift", "headers": {"X": "1"}, "routing": {"url": "x"}}],
    }
    setup, errors = setup_validate(hostile)
    assert errors == {}
    assert "base_url" not in setup
    assert setup["columns"] == [
        {"model": "demo/swift", "parameters": {}, "routing": {}, "fallback_models": []}
    ]


def test_a_version_1_preset_opens_in_the_compare_form(alice_client, alice, fake):
    preset = Preset.objects.create(owner=alice, name="Old")
    PresetVersion.objects.create(preset=preset, number=1, setup=V1)
    html = alice_client.get(f"/?preset={preset.pk}").content.decode()
    assert "\nName three rivers.</textarea>" in html
    assert 'name="temperature" value="0.7"' in html
    assert 'name="models" value="demo/reasoner"' in html
    assert 'name="models" value="demo/echo"' in html
    assert 'name="same_settings" data-testid="same-settings" id="id_same_settings" checked' in html


def test_a_version_2_preset_opens_with_every_setting(alice_client, alice, fake):
    preset = preset_create(owner=alice, name="New", setup=V2)
    html = alice_client.get(f"/?preset={preset.pk}").content.decode()
    assert 'name="col-top_k" value="20"' in html
    assert 'name="col-provider_order" value="swiftserve, demo-labs"' in html
    assert 'name="col-provider_only" value="nearby-cloud"' in html
    assert '<option value="latency" selected>' in html
    assert 'name="col-fallback_models" value="demo/swift"' in html
    assert 'name="tool-name" value="get_weather"' in html
    assert 'name="web_search" data-testid="web-search" id="id_web_search" checked' in html
    assert "https://example.com/paris.jpg</textarea>" in html
    assert 'name="budget" value="0.25"' in html


def test_a_run_made_before_version_2_reopens_and_runs_again(alice_client, alice, fake):
    run = Run.objects.create(
        owner=alice,
        prompt="Old prompt",
        instructions="",
        temperature=0.2,
        max_output_tokens=50,
        key_source="demo",
    )
    RunColumn.objects.create(run=run, position=0, model="demo/swift", request_body={})
    assert run.setup == {}
    html = alice_client.get(f"/runs/{run.pk}/").content.decode()
    assert "\nOld prompt</textarea>" in html and 'name="temperature" value="0.2"' in html
    alice_client.post(f"/runs/{run.pk}/rerun/")
    again = Run.objects.exclude(pk=run.pk).get()
    body = again.columns.get().request_body
    assert (body["temperature"], body["max_output_tokens"]) == (0.2, 50)
    assert again.setup["parameters"]["temperature"] == 0.2


def test_a_version_2_run_reopens_with_its_setup_and_runs_again_the_same(alice_client, alice, fake):
    from playground.runs.lifecycle import run_create
    from playground.upstream.connection import connection_for

    # Running again holds the run to its budget, with room here for the worst case of the
    # column without max output tokens (up to its model's context).
    run = run_create(owner=alice, setup={**V2, "budget": "1000"}, connection=connection_for(alice))
    html = alice_client.get(f"/runs/{run.pk}/").content.decode()
    assert 'name="col-provider_only" value="nearby-cloud"' in html
    alice_client.post(f"/runs/{run.pk}/rerun/")
    again = Run.objects.exclude(pk=run.pk).get()
    assert again.setup == run.setup
    assert [c.request_body for c in again.columns.all()] == [
        c.request_body for c in run.columns.all()
    ]


def test_a_version_1_import_file_still_imports(alice_client, alice):
    content = {
        "format": "model-playground.presets",
        "version": 1,
        "presets": [{"name": "Old file", "description": "", "setup": V1}],
    }
    upload = SimpleUploadedFile("old.json", json.dumps(content).encode())
    response = alice_client.post("/presets/import/", {"file": upload})
    assert response.status_code == 302
    assert Preset.objects.get(owner=alice).latest_version.setup == setup_normalize(V1)


def test_a_shared_version_1_preset_and_a_version_2_one_show_their_setup(client, alice):
    old = Preset.objects.create(owner=alice, name="Old")
    PresetVersion.objects.create(preset=old, number=1, setup=V1)
    html = client.get(f"/s/{sharing.preset_share(preset=old).token}/").content.decode()
    assert "temperature 0.7 · max output tokens 300 · reasoning effort low" in html

    new = preset_create(owner=alice, name="New", setup=V2)
    html = client.get(f"/s/{sharing.preset_share(preset=new).token}/").content.decode()
    assert "temperature 0.4 · verbosity low" in html
    assert (
        "top k 20 · max output tokens 500 · order swiftserve, demo-labs · sort by latency · "
        "max prompt $0.5/M · other providers refused · zero data retention · "
        "fallbacks demo/swift"
    ) in html
    assert "only nearby-cloud" in html
    assert "get_weather" in html and "on, up to 2 results" in html
    assert "https://example.com/paris.jpg" in html and "$0.25" in html


def test_an_uploaded_image_is_named_not_shown_in_a_summary(client, alice):
    setup = {**V2, "images": ["data:image/png;base64," + "A" * 4000]}
    preset = preset_create(owner=alice, name="Photo", setup=setup)
    html = client.get(f"/s/{sharing.preset_share(preset=preset).token}/").content.decode()
    assert "uploaded image/png, 2.9\xa0KB" in html
    assert "AAAA" not in html


def test_the_diff_of_two_versions_shows_column_settings_and_features():
    diff = setup_diff(before=V1, after=V2)
    labels = {change.label: change for change in diff.parameters}
    assert labels["Tools"].before == "none" and labels["Tools"].after == "get_weather"
    assert labels["Budget"].after == "$0.25"
    assert labels["Same settings for all columns"].changed
    assert diff.columns[0].before == "demo/reasoner"
    assert diff.columns[1].after == "demo/markdown (only nearby-cloud)"


def test_a_preset_with_an_uploaded_image_exports_and_imports_back_the_same(
    alice_client, alice, bob
):
    from tests.setups.test_request_bodies import PNG

    image = "data:image/png;base64," + base64.b64encode(PNG).decode()
    preset = preset_create(owner=alice, name="Photo", setup={**V2, "images": [image]})
    exported = alice_client.get(f"/presets/{preset.pk}/export/").content
    bob_client = Client()
    bob_client.force_login(bob)
    response = bob_client.post(
        "/presets/import/", {"file": SimpleUploadedFile("photo.json", exported)}
    )
    assert response.status_code == 302
    assert Preset.objects.get(owner=bob).latest_version.setup == preset.latest_version.setup
