"""The model picker: a partial for the compare page's dialog (htmx) and a plain page,
listing the catalog searched, filtered and sorted."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from playground.models import CatalogCopy

pytestmark = pytest.mark.django_db


def text(response) -> str:
    """The page as a person reads it: Django writes ages with no-break spaces."""
    return response.content.decode().replace("\xa0", " ")


HTMX = {"HX-Request": "true"}
RESULTS = {"HX-Request": "true", "HX-Target": "picker-results"}


def listed(html: str) -> list[str]:
    """The model ids of the picker's rows, in order."""
    return re.findall(r'data-testid="picker-model" data-model-id="([^"]+)"', html)


def row(html: str, model_id: str) -> str:
    start = html.index(f'data-model-id="{model_id}"')
    return html[start : html.index("</tr>", start)]


def test_it_lists_each_model_with_its_facts_and_badges(alice_client, fake):
    html = text(alice_client.get("/models/"))

    # By name: "Demo: Auth failure", "Demo: Cut short", "Demo: Echo", …
    assert listed(html)[:3] == ["demo/fail-auth", "demo/fail-incomplete", "demo/echo"]
    markdown = row(html, "demo/markdown")
    assert "Demo: Markdown" in markdown
    assert "<code" in markdown and "demo/markdown</code>" in markdown
    assert "1,048,576" in markdown
    assert "$0.3<" in markdown and "$2.5<" in markdown
    assert "text, image" in markdown
    assert 'data-testid="badge-tools"' in markdown
    assert 'data-testid="badge-structured"' in markdown
    assert 'data-testid="badge-reasoning"' not in markdown
    summarizer = row(html, "demo/summarizer")
    assert "text, image, file" in summarizer and "400,000" in summarizer
    assert 'data-testid="badge-reasoning"' in summarizer
    slow = row(html, "demo/slow")
    assert "badge-tools" not in slow and "badge-structured" not in slow
    free = row(html, "demo/swift:free")
    assert free.count(">free<") == 2


def test_search_finds_models_by_name_or_id(alice_client, fake):
    by_name = alice_client.get("/models/", {"q": "tool CALLER"}, headers=RESULTS)
    by_id = alice_client.get("/models/", {"q": "demo/summ"}, headers=RESULTS)
    nothing = alice_client.get("/models/", {"q": "no such model"}, headers=RESULTS)

    assert listed(text(by_name)) == ["demo/tool-caller"]
    assert listed(text(by_id)) == ["demo/summarizer"]
    html = text(nothing)
    assert listed(html) == []
    assert "No model matches “no such model”." in html


def test_the_filters_keep_free_reasoning_tool_and_image_models(alice_client, fake):
    def ids(**params) -> set[str]:
        response = alice_client.get("/models/", params, headers=RESULTS)
        return set(listed(text(response)))

    assert ids(free="1") == {"demo/swift:free"}
    assert ids(image_input="1") == {"demo/markdown", "demo/summarizer"}
    assert ids(reasoning="1") == {"demo/reasoner", "demo/summarizer"}
    tools = ids(tools="1")
    assert {"demo/swift", "demo/tool-caller", "demo/markdown"} <= tools
    assert not tools & {"demo/slow", "demo/echo", "demo/quiet", "demo/sloppy-json"}
    assert ids(reasoning="1", image_input="1") == {"demo/summarizer"}
    assert ids(q="swift", tools="1", free="1") == {"demo/swift:free"}


def test_the_list_sorts_by_price_context_or_name(alice_client, fake):
    def ids(sort: str) -> list[str]:
        response = alice_client.get("/models/", {"sort": sort}, headers=RESULTS)
        return listed(text(response))

    by_price = ids("price")
    assert by_price[:3] == ["demo/swift:free", "demo/echo", "demo/sloppy-json"]
    assert by_price[-1] == "demo/slow"
    by_context = ids("context")
    assert by_context[:3] == ["demo/markdown", "demo/summarizer", "demo/slow"]
    assert ids("name")[0] == "demo/fail-auth"  # "Demo: Auth failure"
    assert len(by_price) == len(by_context) == len(ids("name"))


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "bogus"},
        {"sort": "price'; DROP TABLE"},
        {"column": "abc", "models": "x" * 5000},
        {"column": "-7"},
        {"column": "99999999999999999999"},
        {"free": "maybe", "tools": "", "reasoning": "0"},
        {"q": "a\x00b"},
        {"q": "x" * 10_000},
    ],
)
def test_bad_query_values_fall_back_to_defaults(alice_client, fake, params):
    response = alice_client.get("/models/", params)

    assert response.status_code == 200
    assert 'data-testid="picker"' in text(response)


def test_unknown_sort_and_junk_flags_mean_the_defaults(alice_client, fake):
    default = listed(text(alice_client.get("/models/", headers=RESULTS)))
    junk = alice_client.get("/models/", {"sort": "bogus", "free": "maybe"}, headers=RESULTS)

    assert listed(text(junk)) == default
    assert len(default) > 10


def test_use_links_put_the_model_in_the_picked_column(alice_client, fake):
    params = {"column": "1", "models": "demo/swift,demo/echo,demo/slow"}
    html = text(alice_client.get("/models/", params))

    assert 'href="/?models=demo/swift,demo/markdown,demo/slow" data-pick-model="demo/markdown"' in (
        html
    )
    assert 'href="/?models=demo/swift,demo/echo,demo/slow" data-testid="picker-back"' in html


def test_a_use_link_for_a_new_column_adds_it(alice_client, fake):
    html = text(alice_client.get("/models/", {"column": "1", "models": "demo/swift"}))

    assert 'href="/?models=demo/swift,demo/markdown" data-pick-model="demo/markdown"' in html
    assert "Choose a model for column 2" in html
    # A column past the one after the last is that one.
    far = text(alice_client.get("/models/", {"column": "6", "models": "demo/swift"}))
    assert "Choose a model for column 2" in far
    assert 'href="/?models=demo/swift,demo/markdown" data-pick-model="demo/markdown"' in far


def test_the_picker_keeps_its_query_in_the_form(alice_client, fake):
    params = {"q": "swift", "free": "1", "sort": "context", "column": "1", "models": "a/b,c/d"}
    html = text(alice_client.get("/models/", params, headers=HTMX))

    assert 'name="q" value="swift"' in html
    assert re.search(r'name="free" value="1" checked', html)
    assert not re.search(r'name="tools" value="1" checked', html)
    assert '<option value="context" selected>' in html
    assert 'name="column" value="1"' in html
    assert 'name="models" value="a/b,c/d"' in html


def test_htmx_gets_the_picker_or_its_results_alone(alice_client, fake):
    page = text(alice_client.get("/models/"))
    picker = text(alice_client.get("/models/", headers=HTMX))
    results = text(alice_client.get("/models/", headers=RESULTS))

    assert "<html" in page and "Back to the comparison" in page
    assert "<html" not in picker and 'data-testid="picker-close"' in picker
    assert 'hx-trigger="input delay:300ms, submit"' in picker
    assert "<html" not in results and 'data-testid="picker-search"' not in results
    assert results.lstrip().startswith('<div id="picker-results"')


def test_model_names_from_the_api_are_escaped(alice_client, settings):
    settings.OPENROUTER_API_KEY = "sk-or-v1-server-secret-9f3a"
    settings.OPENROUTER_BASE_URL = "http://127.0.0.1:9/api/v1"
    hostile = {
        "id": 'evil/"><script>alert(1)</script>',
        "name": "<img src=x onerror=alert(1)>",
        "architecture": {"input_modalities": ["<b>text</b>"]},
        "pricing": {"prompt": "0.000001", "completion": "0.000002"},
    }
    CatalogCopy.objects.create(
        base_url=settings.OPENROUTER_BASE_URL,
        body={"data": [hostile]},
        fetched_at=timezone.now() - timedelta(hours=1),
    )

    html = text(alice_client.get("/models/"))

    assert "<script>alert(1)" not in html and "<img src=x" not in html and "<b>text" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;b&gt;text&lt;/b&gt;" in html
    assert "Model list from 1 hour ago: OpenRouter could not be reached" in html
    compare = text(alice_client.get("/"))
    assert "<script>alert(1)" not in compare and "<img src=x" not in compare


def test_without_any_model_list_the_picker_says_why(alice_client, settings):
    settings.OPENROUTER_API_KEY = "sk-or-v1-server-secret-9f3a"
    settings.OPENROUTER_BASE_URL = "http://127.0.0.1:9/api/v1"

    response = alice_client.get("/models/")

    assert response.status_code == 200
    html = text(response)
    assert "The model list could not be loaded" in html
    assert "0 of 0 models" in html


def test_the_compare_page_offers_a_picker_per_column(alice_client, fake):
    html = text(alice_client.get("/?models=demo/slow,demo/echo"))

    # Two columns and the template for more, each with its own button.
    assert html.count('data-testid="browse-models"') == 3
    assert 'href="/models/?column=1&amp;models=demo/slow%2Cdemo/echo"' in html
    assert 'data-testid="model-picker"' in html
    assert 'id="model-list-refresh"' in html
    assert 'data-testid="catalog-refresh"' in html
    assert "list updated less than a minute ago" in html


def test_only_people_who_are_logged_in_can_browse(client, fake):
    response = client.get("/models/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_picker_only_answers_get(alice_client, fake):
    assert alice_client.post("/models/").status_code == 405
