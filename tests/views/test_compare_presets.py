"""The compare page and presets: saving the setup being edited as a preset or as its
next version, and opening a preset (or one of its versions) into the page."""

import pytest
from django.test import Client

from playground.models import Preset, PresetVersion
from playground.presets.versions import preset_save_version
from playground.setups.format import PARAMETERS
from tests.factories import a_preset, a_setup

pytestmark = pytest.mark.django_db

FORM = {
    "prompt": "Compare rivers",
    "instructions": "Be brief.",
    "temperature": "0.4",
    "max_output_tokens": "300",
    "reasoning_effort": "low",
    "models": ["demo/swift", "demo/markdown"],
}


def test_the_setup_is_saved_as_a_new_preset(alice_client, alice, fake):
    data = {**FORM, "name": "Rivers", "description": "Two models on rivers"}
    response = alice_client.post("/presets/save/", data, headers={"HX-Request": "true"})
    preset = Preset.objects.get()
    assert response.status_code == 204 and response["HX-Redirect"] == f"/?preset={preset.pk}"
    assert (preset.owner, preset.name, preset.description) == (
        alice,
        "Rivers",
        "Two models on rivers",
    )
    assert preset.latest_version.number == 1
    assert preset.latest_version.setup == {
        "version": 2,
        "prompt": "Compare rivers",
        "instructions": "Be brief.",
        "parameters": {
            **dict.fromkeys(PARAMETERS),
            "temperature": 0.4,
            "max_output_tokens": 300,
            "reasoning_effort": "low",
        },
        "same_settings": False,  # the form's switch was not sent
        "columns": [
            {"model": model, "parameters": {}, "routing": {}, "fallback_models": []}
            for model in ("demo/swift", "demo/markdown")
        ],
        "tools": [],
        "tool_choice": None,
        "web_search": None,
        "structured_output": None,
        "images": [],
        "budget": None,
        "variables": {},
    }


def test_a_preset_needs_a_name_and_nothing_is_saved_without_one(alice_client, fake):
    response = alice_client.post("/presets/save/", FORM, headers={"HX-Request": "true"})
    assert response["HX-Retarget"] == "#compare-form"
    html = response.content.decode()
    assert "Name the preset to save it." in html
    assert "Compare rivers" in html  # what was typed stays in the form
    assert not Preset.objects.exists()


def test_a_preset_may_lack_a_prompt_but_not_columns(alice_client, fake):
    alice_client.post("/presets/save/", {**FORM, "prompt": "", "name": "Just models"})
    assert Preset.objects.get().latest_version.setup["prompt"] == ""
    response = alice_client.post("/presets/save/", {**FORM, "models": [], "name": "Nothing"})
    assert response.status_code == 400 and "Add at least one column." in response.content.decode()
    assert Preset.objects.count() == 1


def test_an_opened_preset_is_saved_as_its_next_version(alice_client, alice, fake):
    preset = a_preset(alice)
    data = {**FORM, "prompt": "A better wording"}
    response = alice_client.post(f"/presets/{preset.pk}/save/", data)
    assert response.status_code == 302 and response["Location"] == f"/?preset={preset.pk}"
    assert list(preset.versions.values_list("number", flat=True)) == [2, 1]
    assert preset.latest_version.setup["prompt"] == "A better wording"
    assert preset.versions.get(number=1).setup["prompt"] == "Name three rivers."
    page = alice_client.get(response["Location"]).content.decode()
    assert "as version 2" in page


def test_opening_a_preset_fills_the_compare_page(alice_client, alice, fake):
    preset = a_preset(alice, name="Rivers", prompt="Name three rivers.", temperature=0.7)
    preset_save_version(preset=preset, setup=a_setup(prompt="Newest", models=["demo/markdown"]))
    html = alice_client.get(f"/?preset={preset.pk}").content.decode()
    assert "\nNewest</textarea>" in html
    assert 'name="models" value="demo/markdown"' in html
    assert 'data-testid="save-version"' in html and "Rivers" in html

    older = alice_client.get(f"/?preset={preset.pk}&version=1").content.decode()
    assert "\nName three rivers.</textarea>" in older
    assert 'name="temperature" value="0.7"' in older
    assert 'name="models" value="demo/swift"' in older


@pytest.mark.parametrize(
    "query",
    ["?preset=999999", "?preset=abc", "?preset={preset}&version=9", "?preset={preset}&version=x"],
)
def test_an_unknown_preset_or_version_is_a_404(alice_client, alice, fake, query):
    preset = a_preset(alice)
    assert alice_client.get("/" + query.format(preset=preset.pk)).status_code == 404


def test_another_persons_preset_can_be_neither_opened_nor_versioned(alice, bob, fake):
    preset = a_preset(alice)
    intruder = Client()
    intruder.force_login(bob)
    assert intruder.get(f"/?preset={preset.pk}").status_code == 404
    assert intruder.post(f"/presets/{preset.pk}/save/", FORM).status_code == 404
    assert PresetVersion.objects.count() == 1
    anonymous = Client().post(f"/presets/{preset.pk}/save/", FORM)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    assert Client().post("/presets/save/", {**FORM, "name": "x"}).status_code == 302
    assert PresetVersion.objects.count() == 1 and Preset.objects.count() == 1


def test_saving_a_preset_needs_the_csrf_token(alice, fake):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    assert strict.post("/presets/save/", {**FORM, "name": "x"}).status_code == 403
    assert not Preset.objects.exists()


def test_a_temperature_of_zero_is_kept_not_taken_for_the_default(alice_client, fake):
    alice_client.post("/presets/save/", {**FORM, "temperature": "0", "name": "Cold"})
    assert Preset.objects.get().latest_version.setup["parameters"]["temperature"] == 0
