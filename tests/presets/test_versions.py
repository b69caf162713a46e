"""The presets pages: the list and its search, one preset, renaming, duplicating,
deleting, the history with its differences, and restoring an older version."""

import pytest
from django.test import Client

from playground.models import Preset, PresetVersion
from playground.presets.versions import preset_create, preset_save_version
from playground.setups.format import setup_from_values

pytestmark = pytest.mark.django_db


def make_setup(
    *,
    prompt: str = "Write a haiku about the sea.",
    instructions: str = "",
    models: tuple[str, ...] = ("demo/swift", "demo/reasoner"),
    **parameters,
) -> dict:
    return setup_from_values(
        prompt=prompt, instructions=instructions, parameters=parameters, models=list(models)
    )


def make_preset(owner, name: str = "Haiku", description: str = "", **setup) -> Preset:
    return preset_create(owner=owner, name=name, description=description, setup=make_setup(**setup))


@pytest.fixture
def preset(alice) -> Preset:
    """Alice's preset with two versions: the prompt, temperature and a column changed."""
    preset = make_preset(
        alice,
        name="Haiku",
        description="Short poems",
        prompt="Write a haiku.\nAbout the sea.",
        temperature=0.5,
    )
    preset_save_version(
        preset=preset,
        setup=make_setup(
            prompt="Write a haiku.\nAbout the mountains.",
            temperature=1.2,
            models=("demo/swift", "demo/markdown", "demo/echo"),
        ),
    )
    return preset


def html_of(response) -> str:
    return response.content.decode()


# The list and its search


def test_the_list_shows_my_presets_newest_first_with_their_version_count(
    alice_client, alice, bob, preset
):
    make_preset(alice, name="Summaries", description="For long articles")
    make_preset(bob, name="Bob's secret")
    response = alice_client.get("/presets/")
    assert response.status_code == 200
    html = html_of(response)
    assert html.index("Summaries") < html.index("Haiku")
    assert "Bob&#x27;s secret" not in html and "Bob's secret" not in html
    assert "For long articles" in html
    rows = response.context["page"].object_list
    assert [(p.name, p.version_count) for p in rows] == [("Summaries", 1), ("Haiku", 2)]


def test_saving_a_version_moves_a_preset_to_the_top(alice_client, alice, preset):
    make_preset(alice, name="Summaries")
    preset_save_version(preset=preset, setup=make_setup(prompt="Again"))
    names = [p.name for p in alice_client.get("/presets/").context["page"].object_list]
    assert names == ["Haiku", "Summaries"]


def test_the_search_matches_names_and_descriptions_ignoring_case(alice_client, alice, preset):
    make_preset(alice, name="Summaries", description="For LONG articles")
    make_preset(alice, name="Translations")
    by_name = alice_client.get("/presets/", {"q": "haIKU"}).context["page"].object_list
    assert [p.name for p in by_name] == ["Haiku"]
    by_description = alice_client.get("/presets/", {"q": "long art"}).context["page"].object_list
    assert [p.name for p in by_description] == ["Summaries"]
    response = alice_client.get("/presets/", {"q": "nothing like this"})
    assert "No preset matches “nothing like this”" in html_of(response)


def test_the_list_has_pages_of_25_that_keep_the_search(alice_client, alice):
    for number in range(30):
        make_preset(alice, name=f"Poem {number:02d}")
    make_preset(alice, name="Unrelated")
    first = alice_client.get("/presets/", {"q": "poem"})
    assert len(first.context["page"].object_list) == 25
    assert 'href="?q=poem&amp;page=2"' in html_of(first)
    second = alice_client.get("/presets/", {"q": "poem", "page": "2"})
    assert [p.name for p in second.context["page"].object_list] == [
        f"Poem {n:02d}" for n in range(4, -1, -1)
    ]
    assert alice_client.get("/presets/", {"page": "lots"}).status_code == 200


def test_an_empty_list_says_how_to_make_a_preset(alice_client):
    html = html_of(alice_client.get("/presets/"))
    assert "No presets yet" in html
    assert 'href="/presets/import/"' in html


# One preset


def test_the_detail_page_shows_the_latest_setup_and_the_actions(alice_client, preset):
    response = alice_client.get(f"/presets/{preset.pk}/")
    assert response.status_code == 200
    html = html_of(response)
    assert "Short poems" in html
    assert "About the mountains." in html and "About the sea." not in html
    assert "1.2" in html
    assert html.index("demo/swift") < html.index("demo/markdown") < html.index("demo/echo")
    assert f'href="/?preset={preset.pk}"' in html
    for url in ("versions", "rename", "duplicate", "delete", "export"):
        assert f'"/presets/{preset.pk}/{url}/"' in html


def test_preset_text_is_shown_as_text_never_as_markup(alice_client, alice):
    hostile = make_preset(
        alice,
        name="<script>alert(1)</script>",
        description="<img src=x onerror=alert(2)>",
        prompt="<b>bold?</b>",
    )
    for url in (f"/presets/{hostile.pk}/", "/presets/", f"/presets/{hostile.pk}/versions/"):
        html = html_of(alice_client.get(url))
        assert "<script>alert(1)" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    detail = html_of(alice_client.get(f"/presets/{hostile.pk}/"))
    assert "<img src=x" not in detail and "<b>bold?</b>" not in detail


# Renaming


def test_renaming_changes_the_name_and_description_but_not_the_setup(alice_client, preset):
    page = alice_client.get(f"/presets/{preset.pk}/rename/")
    assert 'value="Haiku"' in html_of(page)
    response = alice_client.post(
        f"/presets/{preset.pk}/rename/", {"name": "Sea haiku", "description": "Waves"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/presets/{preset.pk}/"
    preset.refresh_from_db()
    assert (preset.name, preset.description) == ("Sea haiku", "Waves")
    assert preset.versions.count() == 2
    assert "Preset renamed." in html_of(alice_client.get(response["Location"]))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "description": "x"}, "This field is required."),
        ({"name": "   ", "description": ""}, "This field is required."),
        ({"name": "n" * 201, "description": ""}, "at most 200 characters"),
        ({"name": "Fine", "description": "d" * 2001}, "at most 2000 characters"),
    ],
)
def test_a_bad_rename_shows_the_error_and_keeps_the_preset(alice_client, preset, data, message):
    response = alice_client.post(f"/presets/{preset.pk}/rename/", data)
    assert response.status_code == 400
    assert message in html_of(response)
    preset.refresh_from_db()
    assert (preset.name, preset.description) == ("Haiku", "Short poems")


# Duplicating and deleting


def test_duplicating_makes_a_copy_with_the_latest_setup_as_version_one(alice_client, alice, preset):
    response = alice_client.post(f"/presets/{preset.pk}/duplicate/")
    copy = Preset.objects.exclude(pk=preset.pk).get()
    assert response.status_code == 302 and response["Location"] == f"/presets/{copy.pk}/"
    assert copy.owner == alice
    assert (copy.name, copy.description) == ("Copy of Haiku", "Short poems")
    assert [v.number for v in copy.versions.all()] == [1]
    assert copy.latest_version.setup == preset.latest_version.setup
    assert preset.versions.count() == 2


def test_a_duplicate_of_a_long_name_still_fits(alice_client, alice):
    long = make_preset(alice, name="n" * 200)
    alice_client.post(f"/presets/{long.pk}/duplicate/")
    copy = Preset.objects.exclude(pk=long.pk).get()
    assert len(copy.name) == 200 and copy.name.startswith("Copy of nnn")


def test_deleting_asks_first_then_deletes_with_every_version(alice_client, preset):
    confirm = alice_client.get(f"/presets/{preset.pk}/delete/")
    assert confirm.status_code == 200
    assert "Delete “Haiku”?" in html_of(confirm)
    assert "2 versions" in html_of(confirm)
    assert Preset.objects.filter(pk=preset.pk).exists()
    response = alice_client.post(f"/presets/{preset.pk}/delete/")
    assert response.status_code == 302 and response["Location"] == "/presets/"
    assert not Preset.objects.exists() and not PresetVersion.objects.exists()
    assert "Deleted “Haiku”." in html_of(alice_client.get("/presets/"))


# History, differences and restoring


def test_the_history_lists_versions_newest_first_with_time_note_and_links(alice_client, preset):
    preset_save_version(preset=preset, setup=make_setup(), note="Restored from version 1")
    response = alice_client.get(f"/presets/{preset.pk}/versions/")
    assert response.status_code == 200
    html = html_of(response)
    assert [v.number for v in response.context["versions"]] == [3, 2, 1]
    assert html.index('data-version="3"') < html.index('data-version="2"')
    assert "Restored from version 1" in html
    assert "<time datetime=" in html
    for number in (1, 2, 3):
        assert f'href="/?preset={preset.pk}&amp;version={number}"' in html
    # The latest change is preselected for comparing: version 2 to version 3.
    assert (
        'name="a" value="2" aria-label="Compare from version 2" data-testid="diff-a" checked'
        in (html)
    )
    assert f'action="/presets/{preset.pk}/versions/1/restore/"' in html
    assert f'action="/presets/{preset.pk}/versions/3/restore/"' not in html


def test_the_diff_shows_each_field_before_and_after(alice_client, preset):
    response = alice_client.get(f"/presets/{preset.pk}/diff/", {"a": "1", "b": "2"})
    assert response.status_code == 200
    html = html_of(response)
    assert '<del class="diff-line" data-testid="diff-removed">About the sea.</del>' in html
    assert '<ins class="diff-line" data-testid="diff-added">About the mountains.</ins>' in html
    assert '<div class="diff-line">Write a haiku.</div>' in html
    diff = response.context["diff"]
    assert [(t.label, t.changed) for t in diff.texts] == [
        ("Prompt", True),
        ("Instructions", False),
    ]
    assert [(p.label, p.before, p.after) for p in diff.parameters if p.changed] == [
        ("Temperature", 0.5, 1.2)
    ]
    assert [(c.label, c.before, c.after) for c in diff.columns if c.changed] == [
        ("Column 2", "demo/reasoner", "demo/markdown"),
        ("Column 3", None, "demo/echo"),
    ]
    assert "(no column)" in html
    assert "model default" in html  # max output tokens, unset in both


def test_comparing_a_version_with_itself_says_nothing_changed(alice_client, preset):
    response = alice_client.get(f"/presets/{preset.pk}/diff/", {"a": "2", "b": "2"})
    assert response.status_code == 200
    assert "These versions have the same setup." in html_of(response)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({}, "Pick two versions to compare."),
        ({"a": "1"}, "Pick two versions to compare."),
        ({"a": "one", "b": "2"}, "Pick two versions to compare."),
        ({"a": "-1", "b": "2"}, "Pick two versions to compare."),
        ({"a": "1", "b": "9"}, "This preset has no version 9."),
    ],
)
def test_a_diff_without_two_existing_versions_explains_itself(alice_client, preset, query, message):
    response = alice_client.get(f"/presets/{preset.pk}/diff/", query)
    assert response.status_code == 400
    html = html_of(response)
    assert message in html
    assert 'data-testid="diff-picker"' in html


def test_restoring_saves_the_old_setup_as_a_new_version(alice_client, preset):
    first_setup = preset.versions.get(number=1).setup
    response = alice_client.post(f"/presets/{preset.pk}/versions/1/restore/")
    assert response.status_code == 302
    assert response["Location"] == f"/presets/{preset.pk}/versions/"
    versions = list(preset.versions.all())
    assert [v.number for v in versions] == [3, 2, 1]
    assert versions[0].setup == first_setup
    assert versions[0].note == "Restored from version 1"
    assert versions[1].setup["prompt"] == "Write a haiku.\nAbout the mountains."
    assert "Version 1 restored as version 3." in html_of(alice_client.get(response["Location"]))


def test_restoring_a_version_that_does_not_exist_is_not_found(alice_client, preset):
    assert alice_client.post(f"/presets/{preset.pk}/versions/7/restore/").status_code == 404
    assert alice_client.get(f"/presets/{preset.pk}/versions/1/restore/").status_code == 405
    assert preset.versions.count() == 2


# Personas: another user and anonymous


def preset_urls(preset_id: int) -> list[tuple[str, str, dict]]:
    base = f"/presets/{preset_id}"
    return [
        ("get", f"{base}/", {}),
        ("get", f"{base}/rename/", {}),
        ("post", f"{base}/rename/", {"name": "Taken", "description": ""}),
        ("post", f"{base}/duplicate/", {}),
        ("get", f"{base}/delete/", {}),
        ("post", f"{base}/delete/", {}),
        ("get", f"{base}/versions/", {}),
        ("get", f"{base}/diff/?a=1&b=2", {}),
        ("post", f"{base}/versions/1/restore/", {}),
        ("get", f"{base}/export/", {}),
    ]


def test_another_user_gets_404_everywhere_and_changes_nothing(client, bob, preset):
    client.force_login(bob)
    for method, url, data in preset_urls(preset.pk):
        response = getattr(client, method)(url, data)
        assert response.status_code == 404, (method, url)
    preset.refresh_from_db()
    assert preset.name == "Haiku"
    assert preset.versions.count() == 2
    assert Preset.objects.count() == 1
    assert "Haiku" not in html_of(client.get("/presets/"))


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/presets/"),
        ("get", "/presets/export/"),
        ("get", "/presets/import/"),
        ("post", "/presets/import/"),
    ],
)
def test_anonymous_is_sent_to_log_in_from_the_pages_without_a_preset(client, method, url):
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_anonymous_is_sent_to_log_in_and_changes_nothing(client, preset):
    for method, url, data in preset_urls(preset.pk):
        response = getattr(client, method)(url, data)
        assert response.status_code == 302, (method, url)
        assert response["Location"].startswith("/accounts/login/?next="), (method, url)
    preset.refresh_from_db()
    assert preset.name == "Haiku" and preset.versions.count() == 2
    assert Preset.objects.count() == 1


def test_changes_need_the_csrf_token(alice, preset):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    for method, url, data in preset_urls(preset.pk):
        if method == "post":
            assert client.post(url, data).status_code == 403, url
    assert client.post("/presets/import/", {}).status_code == 403
    preset.refresh_from_db()
    assert preset.name == "Haiku" and preset.versions.count() == 2
    assert Preset.objects.count() == 1


def test_the_pages_that_only_show_refuse_posts(alice_client, preset):
    for url in (f"/presets/{preset.pk}/", "/presets/", f"/presets/{preset.pk}/versions/"):
        assert alice_client.post(url).status_code == 405
    assert alice_client.get(f"/presets/{preset.pk}/duplicate/").status_code == 405
