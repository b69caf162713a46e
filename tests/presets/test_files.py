"""Preset files: exporting one preset or all of them, importing a file back, and the
checks that keep a bad file from saving anything."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from playground.models import Preset
from playground.presets.files import (
    FORMAT,
    MAX_FILE_BYTES,
    MAX_PRESETS,
    PresetFileError,
    presets_import,
)
from playground.presets.versions import preset_create, preset_save_version
from playground.setups.format import PARAMETERS, setup_from_values

pytestmark = pytest.mark.django_db


def make_setup(*, prompt="Write a haiku.", models=("demo/swift",), **parameters) -> dict:
    return setup_from_values(
        prompt=prompt, instructions="Be brief.", parameters=parameters, models=list(models)
    )


def make_preset(owner, name="Haiku", description="", **setup) -> Preset:
    return preset_create(owner=owner, name=name, description=description, setup=make_setup(**setup))


def preset_file(*presets, **top) -> bytes:
    data = {"format": FORMAT, "version": 1, "presets": list(presets), **top}
    return json.dumps(data).encode()


def valid_item(name="Imported", **setup_changes) -> dict:
    setup = {
        "prompt": "Summarize this.",
        "instructions": "",
        "parameters": {"temperature": 0.2, "max_output_tokens": 300, "reasoning_effort": None},
        "columns": [{"model": "demo/swift"}, {"model": "demo/echo"}],
        **setup_changes,
    }
    return {"name": name, "description": "From a file", "setup": setup}


def upload(client, content: bytes, name="presets.json"):
    return client.post("/presets/import/", {"file": SimpleUploadedFile(name, content)})


def problems_of(response) -> list[str]:
    return [str(problem) for problem in response.context["problems"]]


# Export


def test_exporting_one_preset_downloads_its_latest_setup(alice_client, alice):
    preset = make_preset(alice, name="Sea haiku!", description="Waves", temperature=0.5)
    preset_save_version(preset=preset, setup=make_setup(prompt="Second try", temperature=1.5))
    response = alice_client.get(f"/presets/{preset.pk}/export/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="preset-sea-haiku.json"'
    data = json.loads(response.content)
    assert data["format"] == "model-playground.presets"
    assert data["version"] == 1
    assert abs(timezone.datetime.fromisoformat(data["exported_at"]) - timezone.now()).seconds < 60
    assert data["presets"] == [
        {
            "name": "Sea haiku!",
            "description": "Waves",
            "setup": make_setup(prompt="Second try", temperature=1.5),
        }
    ]
    setup = data["presets"][0]["setup"]
    assert setup["version"] == 2 and setup["prompt"] == "Second try"
    assert setup["parameters"]["temperature"] == 1.5
    assert setup["parameters"]["max_output_tokens"] is None
    assert [column["model"] for column in setup["columns"]] == ["demo/swift"]


def test_exporting_all_downloads_every_preset_of_mine_only(alice_client, alice, bob):
    make_preset(alice, name="Haiku")
    make_preset(alice, name="Résumé «court»")
    make_preset(bob, name="Bob's")
    response = alice_client.get("/presets/export/")
    assert response.status_code == 200
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="presets-{today}.json"'
    data = json.loads(response.content)
    assert [p["name"] for p in data["presets"]] == ["Résumé «court»", "Haiku"]
    assert "Résumé «court»" in response.content.decode()  # written as is, not \u-escaped


def test_export_then_import_gives_back_the_same_presets(alice_client, alice, client, bob):
    make_preset(alice, name="Plain")
    make_preset(
        alice,
        name="Tuned",
        description="Line one\nline two",
        prompt="Ünïcode ✓\n\n  indented",
        models=("demo/swift", "demo/reasoner", "demo/echo"),
        temperature=1.25,
        max_output_tokens=4096,
        reasoning_effort="high",
    )
    exported = alice_client.get("/presets/export/").content

    client.force_login(bob)
    response = upload(client, exported)
    assert response.status_code == 302 and response["Location"] == "/presets/"

    def contents(owner):
        return [
            (p.name, p.description, p.latest_version.setup)
            for p in Preset.objects.filter(owner=owner)
        ]

    assert contents(bob) == contents(alice)
    assert (
        json.loads(client.get("/presets/export/").content)["presets"]
        == json.loads(exported)["presets"]
    )


def test_imported_presets_are_new_and_my_own_even_with_the_same_name(alice_client, alice):
    original = make_preset(alice, name="Haiku")
    exported = alice_client.get(f"/presets/{original.pk}/export/").content
    response = upload(alice_client, exported, name="haiku.json")
    assert response.status_code == 302
    copy = Preset.objects.exclude(pk=original.pk).get()
    assert copy.owner == alice and copy.name == "Haiku"
    assert [(v.number, v.note) for v in copy.versions.all()] == [(1, "Imported from “haiku.json”")]
    assert "Imported 1 preset." in alice_client.get("/presets/").content.decode()


def test_an_import_keeps_the_order_of_the_file_in_the_list(alice_client, alice):
    response = upload(alice_client, preset_file(valid_item("First"), valid_item("Second")))
    assert response.status_code == 302
    names = [p.name for p in alice_client.get("/presets/").context["page"].object_list]
    assert names == ["First", "Second"]


def test_an_import_normalizes_what_it_saves(alice):
    item = valid_item(parameters={"temperature": "0.5", "max_output_tokens": 10})
    item["name"] = "  Padded  "
    item["setup"]["columns"] = [{"model": "  demo/swift "}]
    (preset,) = presets_import(owner=alice, raw=preset_file(item))
    assert preset.name == "Padded"
    setup = preset.latest_version.setup
    assert setup["parameters"] == {
        **dict.fromkeys(PARAMETERS),
        "temperature": 0.5,
        "max_output_tokens": 10,
    }
    assert setup["columns"] == [
        {"model": "demo/swift", "parameters": {}, "routing": {}, "fallback_models": []}
    ]


def test_the_import_page_offers_a_file_input(alice_client):
    html = alice_client.get("/presets/import/").content.decode()
    assert 'type="file" name="file"' in html and 'enctype="multipart/form-data"' in html


# Import: a bad file saves nothing and says what is wrong, where


def test_every_problem_is_listed_by_preset_and_field_and_nothing_is_saved(alice_client):
    bad_temperature = valid_item("Too hot")
    bad_temperature["setup"]["parameters"]["temperature"] = 5
    no_name = valid_item("")
    no_name["setup"]["columns"] = 3
    response = upload(alice_client, preset_file(valid_item("Fine"), bad_temperature, no_name))
    assert response.status_code == 400
    assert problems_of(response) == [
        "Preset 2 (“Too hot”), parameters.temperature: "
        "Ensure this value is less than or equal to 2.",
        "Preset 3, name: This field is required.",
        'Preset 3, columns: must be a list of {"model": "…"} objects',
    ]
    html = response.content.decode()
    assert "Nothing was imported." in html
    assert "Preset 2 (“Too hot”), parameters.temperature" in html
    assert not Preset.objects.exists()


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"name": 5}, "Preset 1, name: must be a string."),
        ({"name": "n" * 201}, "name: Ensure this value has at most 200 characters (it has 201)."),
        ({"description": ["a"]}, "Preset 1 (“Imported”), description: must be a string."),
        ({"description": "d" * 2001}, "description: Ensure this value has at most 2000 characters"),
        ({"extra": 1}, "Preset 1 (“Imported”), extra: unknown field."),
        ({"setup": "text"}, "Preset 1 (“Imported”), setup: must be an object"),
    ],
)
def test_a_wrong_preset_field_is_named(alice_client, change, problem):
    response = upload(alice_client, preset_file({**valid_item(), **change}))
    assert response.status_code == 400
    assert any(problem in text for text in problems_of(response)), problems_of(response)
    assert not Preset.objects.exists()


@pytest.mark.parametrize(
    ("setup_change", "problem"),
    [
        ({"columns": 3}, 'columns: must be a list of {"model": "…"} objects'),
        ({"columns": []}, "columns: Add at least one column."),
        ({"columns": [{"model": 7}]}, "columns[0].model: must be a string"),
        ({"parameters": {"temperature": "hot"}}, "parameters.temperature: Enter a number."),
        ({"parameters": {"temperature": True}}, "parameters.temperature: must be a number"),
        ({"parameters": {"max_output_tokens": 0}}, "parameters.max_output_tokens: Ensure"),
        ({"parameters": {"reasoning_effort": "extreme"}}, "parameters.reasoning_effort: Select"),
        ({"parameters": []}, "parameters: must be an object"),
        ({"prompt": ["a"]}, "prompt: must be a string"),
    ],
)
def test_a_wrong_setup_field_is_named(alice_client, setup_change, problem):
    response = upload(alice_client, preset_file(valid_item(**setup_change)))
    assert response.status_code == 400
    texts = problems_of(response)
    assert any(text.startswith(f"Preset 1 (“Imported”), {problem}") for text in texts), texts
    assert not Preset.objects.exists()


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"{not json", "The file is not valid JSON (Expecting property name"),
        (b'{"a": NaN}', "The file is not valid JSON (NaN is not a JSON number)."),
        (b"[" * 100_000, "The file is not valid JSON"),
        ("Ünïcode".encode("latin-1"), "The file is not UTF-8 text."),
        (b"[]", "The file must be a JSON object with “format”, “version” and “presets”."),
        (
            json.dumps({"format": "other", "version": 1, "presets": []}).encode(),
            "File, format: must be “model-playground.presets”: this is not a preset file.",
        ),
        (
            preset_file(valid_item(), version=2),
            "File, version: version 2 is not supported; this server reads version 1.",
        ),
        (preset_file(valid_item(), version="1"), "File, version: must be a whole number."),
        (
            json.dumps({"format": FORMAT, "presets": []}).encode(),
            "File, version: This field is required.",
        ),
        (preset_file(), "File, presets: the file has no presets to import."),
        (preset_file(presets={}), "File, presets: must be a list of presets."),
        (preset_file(valid_item(), extra=1), "File, extra: unknown field."),
        (preset_file(valid_item(), "text"), "Preset 2: must be an object"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_with_its_reason(alice_client, content, problem):
    response = upload(alice_client, content)
    assert response.status_code == 400
    texts = problems_of(response)
    assert any(text.startswith(problem) for text in texts), texts
    assert not Preset.objects.exists()


def test_a_file_with_too_many_presets_is_refused(alice_client):
    response = upload(alice_client, preset_file(*[valid_item()] * (MAX_PRESETS + 1)))
    assert response.status_code == 400
    assert problems_of(response) == [
        f"File, presets: the file has {MAX_PRESETS + 1} presets; "
        f"at most {MAX_PRESETS} can be imported at once."
    ]
    assert not Preset.objects.exists()


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(alice_client):
    item = valid_item()
    content = preset_file(item)
    content = content[:-1] + b" " * (MAX_FILE_BYTES + 1 - len(content)) + b"}"
    assert len(content) == MAX_FILE_BYTES + 1
    response = upload(alice_client, content)
    assert response.status_code == 400
    html = response.content.decode()
    assert "The file is 32.0\xa0MB; files up to 32.0\xa0MB can be imported." in html
    assert not Preset.objects.exists()


def test_the_import_service_also_refuses_an_oversized_file(alice):
    with pytest.raises(PresetFileError) as refused:
        presets_import(owner=alice, raw=b" " * (MAX_FILE_BYTES + 1))
    assert "can be imported" in str(refused.value)


def test_an_import_without_a_file_asks_for_one(alice_client):
    response = alice_client.post("/presets/import/", {})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    empty = upload(alice_client, b"")
    assert "The submitted file is empty." in empty.content.decode()


def test_problems_quote_preset_names_as_text(alice_client):
    item = valid_item("<script>alert(1)</script>", columns=3)
    html = upload(alice_client, preset_file(item)).content.decode()
    assert "<script>alert(1)" not in html
    assert "Preset 1 (“&lt;script&gt;alert(1)&lt;/script&gt;”), columns" in html


def test_a_file_full_of_problems_shows_the_first_hundred(alice_client):
    items = [valid_item(f"P{n}", columns=3) for n in range(150)]
    response = upload(alice_client, preset_file(*items))
    assert len(response.context["problems"]) == 100
    assert "…and 50 more." in response.content.decode()
