"""The presets pages in a real browser: searching the list, the history, comparing two
versions, restoring the older one, and a file exported and imported again."""

import json
import re

from playwright.sync_api import expect

from playground.models import Preset
from playground.presets.versions import preset_create, preset_save_version
from playground.setups.format import setup_from_values


def make_setup(prompt: str, *models: str, temperature: float | None = None) -> dict:
    return setup_from_values(
        prompt=prompt,
        instructions="",
        parameters={"temperature": temperature},
        models=list(models),
    )


def test_search_history_compare_and_restore(page, alice):
    preset = preset_create(
        owner=alice,
        name="Sea haiku",
        description="Waves and salt",
        setup=make_setup("Write a haiku.\nAbout the sea.", "demo/swift", temperature=0.4),
    )
    preset_save_version(
        preset=preset,
        setup=make_setup("Write a haiku.\nAbout the hills.", "demo/swift", "demo/echo"),
    )
    preset_create(owner=alice, name="Summaries", setup=make_setup("Summarize.", "demo/markdown"))

    page.goto("/")
    page.get_by_test_id("nav-presets").click()
    expect(page.get_by_test_id("preset-row")).to_have_count(2)
    page.get_by_test_id("presets-search").fill("SALT")
    page.get_by_test_id("presets-search-submit").click()
    expect(page.get_by_test_id("preset-row")).to_have_count(1)
    expect(page.get_by_test_id("preset-version-count")).to_have_text("2")
    page.get_by_test_id("preset-link").click()

    expect(page.get_by_test_id("preset-title")).to_have_text("Sea haiku")
    expect(page.get_by_test_id("setup-prompt")).to_contain_text("About the hills.")
    expect(page.get_by_test_id("open-preset")).to_have_attribute("href", f"/?preset={preset.pk}")
    page.get_by_test_id("preset-history").click()

    expect(page.get_by_test_id("version-row")).to_have_count(2)
    expect(page.get_by_test_id("open-version").first).to_have_attribute(
        "href", f"/?preset={preset.pk}&version=2"
    )
    page.get_by_label("Compare from version 1").check()
    page.get_by_label("Compare to version 2").check()
    page.get_by_test_id("show-diff").click()

    expect(page).to_have_url(re.compile(r"/diff/\?(a=1&b=2|b=2&a=1)$"))
    expect(page.get_by_test_id("diff-removed")).to_have_text("About the sea.")
    expect(page.get_by_test_id("diff-added")).to_have_text("About the hills.")
    changed = page.locator("[data-testid=diff-value][data-changed=true]")
    expect(changed).to_have_count(2)
    expect(changed.first).to_contain_text("0.4")
    expect(changed.last).to_contain_text("demo/echo")

    page.get_by_role("button", name="Restore version 1").click()
    expect(page.get_by_test_id("messages")).to_contain_text("Version 1 restored as version 3.")
    expect(page.get_by_test_id("version-row")).to_have_count(3)
    expect(page.get_by_test_id("version-note").first).to_have_text("Restored from version 1")
    latest = preset.latest_version
    assert latest.number == 3
    assert latest.setup == preset.versions.get(number=1).setup


def test_export_all_then_import_the_file(page, alice, tmp_path):
    preset_create(
        owner=alice,
        name="Sea haiku",
        description="Waves",
        setup=make_setup("Write a haiku.", "demo/swift", "demo/reasoner", temperature=0.4),
    )
    page.goto("/presets/")
    with page.expect_download() as download_info:
        page.get_by_test_id("export-presets").click()
    download = download_info.value
    assert re.fullmatch(r"presets-\d{4}-\d{2}-\d{2}\.json", download.suggested_filename)
    data = json.loads(download.path().read_text(encoding="utf-8"))
    assert [p["name"] for p in data["presets"]] == ["Sea haiku"]

    # A broken copy first: nothing is imported and the problem names its field.
    broken = json.loads(json.dumps(data))
    broken["presets"][0]["setup"]["parameters"]["temperature"] = "hot"
    broken_file = tmp_path / "broken.json"
    broken_file.write_text(json.dumps(broken), encoding="utf-8")
    page.get_by_test_id("import-presets").click()
    page.get_by_test_id("import-file").set_input_files(broken_file)
    page.get_by_test_id("import-submit").click()
    expect(page.get_by_test_id("import-problem")).to_have_text(
        "Preset 1 (“Sea haiku”), parameters.temperature: Enter a number."
    )
    assert Preset.objects.count() == 1

    data["presets"][0]["name"] = "Sea haiku, imported"
    good_file = tmp_path / "good.json"
    good_file.write_text(json.dumps(data), encoding="utf-8")
    page.get_by_test_id("import-file").set_input_files(good_file)
    page.get_by_test_id("import-submit").click()
    expect(page.get_by_test_id("messages")).to_contain_text("Imported 1 preset.")
    expect(page.get_by_test_id("preset-link").first).to_have_text("Sea haiku, imported")
    imported = Preset.objects.get(name="Sea haiku, imported")
    assert imported.owner == alice
    assert imported.latest_version.setup == data["presets"][0]["setup"]
