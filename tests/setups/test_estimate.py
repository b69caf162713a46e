"""The cost estimate before a run, per column and in total, from the catalog's Decimal
prices; the estimate shown as the form is edited; and the budget that refuses a run."""

import json
from dataclasses import replace
from decimal import Decimal

import pytest
from django.test import Client

from playground.models import Run, RunColumn
from playground.openrouter import ModelInfo
from playground.setups.estimates import IMAGE_TOKENS, money_at_most, prompt_tokens, run_estimate
from playground.setups.format import setup_from_values
from tests.setups.test_request_bodies import post_run

pytestmark = pytest.mark.django_db


def model(model_id, prompt="0.000001", completion="0.000002", context=10_000) -> ModelInfo:
    return ModelInfo(
        id=model_id,
        name=model_id,
        context_length=context,
        prompt_price=None if prompt is None else Decimal(prompt),
        completion_price=None if completion is None else Decimal(completion),
        reasoning=False,
        description="",
    )


CATALOG = [
    model("a/cheap"),
    model("a/dear", prompt="0.00001", completion="0.00003", context=20_000),
    model("a/free", prompt="0", completion="0"),
    model("a/unpriced", prompt=None, completion=None),
    model("a/unbounded", context=None),
]


def a_setup(*, prompt="x" * 400, models=("a/cheap",), max_output_tokens=1000, **rest):
    return setup_from_values(
        prompt=prompt,
        instructions="",
        parameters={"max_output_tokens": max_output_tokens},
        models=list(models),
        **rest,
    )


def test_a_column_costs_its_prompt_and_its_output_cap_at_the_catalogs_prices():
    estimate = run_estimate(a_setup(), CATALOG)
    (column,) = estimate.columns
    # 400 characters are 100 tokens; the output is capped at 1000.
    assert (column.prompt_tokens, column.output_tokens) == (100, 1000)
    assert column.output_limit == "max output tokens"
    assert column.cost == Decimal("0.0001") + Decimal("0.002")
    assert isinstance(column.cost, Decimal)
    assert estimate.total == Decimal("0.0021")
    assert estimate.display == "≤ $0.0021"


def test_the_total_is_the_sum_of_the_columns_exactly():
    estimate = run_estimate(a_setup(models=("a/cheap", "a/dear", "a/free")), CATALOG)
    assert [column.cost for column in estimate.columns] == [
        Decimal("0.0021"),
        Decimal("0.001") + Decimal("0.03"),
        Decimal("0"),
    ]
    assert estimate.total == Decimal("0.0331")


def test_without_max_output_tokens_the_output_is_counted_up_to_the_context():
    (column,) = run_estimate(a_setup(max_output_tokens=None), CATALOG).columns
    assert column.output_tokens == 10_000 - 100
    assert column.output_limit == "context length"
    assert column.cost == 100 * Decimal("0.000001") + 9_900 * Decimal("0.000002")


def test_the_output_is_capped_by_the_least_of_max_output_its_models_limit_and_the_context():
    limited = replace(model("a/limited"), max_completion_tokens=500)
    (column,) = run_estimate(a_setup(models=("a/limited",)), [limited]).columns
    assert (column.output_tokens, column.output_limit) == (500, "output limit")
    (column,) = run_estimate(
        a_setup(models=("a/limited",), max_output_tokens=200), [limited]
    ).columns
    assert (column.output_tokens, column.output_limit) == (200, "max output tokens")
    small = replace(limited, context_length=400)
    (column,) = run_estimate(a_setup(models=("a/limited",)), [small]).columns
    assert (column.output_tokens, column.output_limit) == (300, "context length")


def test_the_request_and_image_fees_are_added_and_an_unknown_one_makes_it_unknown():
    vision = replace(
        model("a/vision"), request_price=Decimal("0.0005"), image_price=Decimal("0.001")
    )
    images = ["https://example.com/a.png", "https://example.com/b.png"]
    (column,) = run_estimate(a_setup(models=("a/vision",), images=images), [vision]).columns
    assert column.fees == Decimal("0.0005") + 2 * Decimal("0.001")
    tokens = 100 + 2 * IMAGE_TOKENS
    assert column.cost == (
        tokens * Decimal("0.000001") + 1000 * Decimal("0.000002") + Decimal("0.0025")
    )
    # An image price only matters when there are images.
    unknown = replace(vision, image_price=None)
    (column,) = run_estimate(a_setup(models=("a/vision",)), [unknown]).columns
    assert column.cost == 100 * Decimal("0.000001") + 1000 * Decimal("0.000002") + Decimal("0.0005")
    (column,) = run_estimate(a_setup(models=("a/vision",), images=images), [unknown]).columns
    assert (column.cost, column.problem) == (None, "no price per image for a/vision")


def test_a_columns_own_max_output_tokens_caps_its_output():
    setup = a_setup(
        models=("a/cheap", "a/cheap"),
        same_settings=False,
        columns=[
            {"model": "a/cheap", "parameters": {"max_output_tokens": 10}},
            {"model": "a/cheap"},
        ],
    )
    first, second = run_estimate(setup, CATALOG).columns
    assert (first.output_tokens, second.output_tokens) == (10, 1000)


def test_instructions_tools_schema_and_images_count_as_prompt():
    tool = {"name": "f" * 8, "description": "d" * 12, "parameters": {"type": "object"}}
    schema = {"name": "answer", "schema": {"type": "object"}, "strict": True}
    setup = setup_from_values(
        prompt="p" * 40,
        instructions="i" * 20,
        parameters={},
        models=["a/cheap"],
        tools=[tool],
        structured_output=schema,
        images=["https://example.com/a.png", "https://example.com/b.png"],
    )
    schema_chars = len("answer") + len(json.dumps({"type": "object"}))
    characters = 40 + 20 + 8 + 12 + len(json.dumps({"type": "object"})) + schema_chars
    assert prompt_tokens(setup) == -(-characters // 4) + 2 * IMAGE_TOKENS


def test_a_column_with_fallbacks_costs_what_its_dearest_model_does():
    setup = a_setup(columns=[{"model": "a/cheap", "fallback_models": ["a/dear"]}])
    (column,) = run_estimate(setup, CATALOG).columns
    assert column.cost == Decimal("0.031")


@pytest.mark.parametrize(
    ("columns", "problem"),
    [
        ([{"model": "a/unpriced"}], "no price for a/unpriced"),
        ([{"model": "gone/model"}], "no price for gone/model"),
        ([{"model": "a/cheap", "fallback_models": ["a/unpriced"]}], "no price for a/unpriced"),
    ],
)
def test_an_unknown_price_makes_the_column_and_the_total_unknown(columns, problem):
    estimate = run_estimate(a_setup(columns=columns), CATALOG)
    assert estimate.columns[0].cost is None and estimate.columns[0].problem == problem
    assert estimate.total is None and estimate.display == "unknown"


def test_no_cap_and_no_context_is_unknown():
    (column,) = run_estimate(
        a_setup(models=("a/unbounded",), max_output_tokens=None), CATALOG
    ).columns
    assert column.cost is None
    assert column.problem == "no max output tokens, output limit or context length for a/unbounded"


def test_the_stored_estimate_is_rounded_up_to_twelve_places():
    setup = a_setup(prompt="x", max_output_tokens=1, models=("a/cheap",))
    (column,) = run_estimate(setup, [model("a/cheap", "0.0000000000001", "0")]).columns
    assert column.cost == Decimal("0.0000000000001")
    assert column.stored == Decimal("0.000000000001")


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        ("0.0041667", "$0.0042"),
        ("0.0042", "$0.0042"),
        ("0.0999", "$0.1"),
        ("0.0524288", "$0.053"),
        ("0.00000125", "$0.0000013"),
        ("1.234", "$1.24"),
        ("0", "$0"),
    ],
)
def test_an_upper_bound_is_shown_short_and_rounded_up(amount, shown):
    assert money_at_most(Decimal(amount)) == shown


def test_the_budget_is_over_when_the_worst_case_exceeds_it_or_is_unknown():
    assert not run_estimate(a_setup(budget="0.0021"), CATALOG).over_budget
    over = run_estimate(a_setup(budget="0.002"), CATALOG)
    assert over.over_budget
    assert over.budget_problem() == (
        "At worst this run costs $0.0021, over its budget of $0.002. Set a lower max output "
        "tokens, use fewer or cheaper models, or raise the budget."
    )
    unknown = run_estimate(a_setup(models=("a/unpriced",), budget="5"), CATALOG)
    assert unknown.over_budget
    assert "cannot be estimated (no price for a/unpriced)" in unknown.budget_problem()
    assert not run_estimate(a_setup(models=("a/unpriced",)), CATALOG).over_budget


# The form and its estimate view (the demo catalog: demo/swift costs $0.10 and $0.40 per
# million tokens, demo/echo $0.02 and $0.08)


def estimate_html(client, **fields) -> str:
    data = {"prompt": "x" * 400, **fields}
    data.setdefault("models", ["demo/swift", "demo/echo"])
    response = client.post("/setup/estimate/", data, headers={"HX-Request": "true"})
    assert response.status_code == 200
    return response.content.decode()


def test_the_estimate_view_shows_the_total_and_each_column(alice_client, fake):
    html = estimate_html(alice_client, max_output_tokens="1000")
    # swift: 100 x 0.0000001 + 1000 x 0.0000004; echo: 100 x 0.00000002 + 1000 x 0.00000008
    assert 'data-total="0.000492"' in html and 'data-prompt-tokens="100"' in html
    assert "Worst case ≤ $0.0005" in html
    assert "(column 1 ≤ $0.00041, column 2 ≤ $0.000082)" in html
    assert "up to 1000 output tokens (its max output tokens)" in html
    assert not Run.objects.exists()


def test_the_estimate_grows_with_the_prompt(alice_client, fake):
    short = estimate_html(alice_client, prompt="x" * 40, max_output_tokens="10")
    long = estimate_html(alice_client, prompt="x" * 40_000, max_output_tokens="10")
    assert 'data-prompt-tokens="10"' in short and 'data-prompt-tokens="10000"' in long
    # swift 10 x $0.0000001 + 10 x $0.0000004, echo 10 x $0.00000002 + 10 x $0.00000008
    assert 'data-total="0.000006"' in short
    # swift 10000 x $0.0000001 + 10 x $0.0000004, echo 10000 x $0.00000002 + 10 x $0.00000008
    assert 'data-total="0.0012048"' in long


def test_the_estimate_says_what_caps_the_output_when_max_output_is_unset(alice_client, fake):
    # demo/swift writes at most 16,384 tokens, well inside its context of 131,072.
    html = estimate_html(alice_client, models=["demo/swift"])
    assert "up to 16384 output tokens (its output limit)" in html


def test_the_estimate_shows_the_fees_for_the_request_and_its_images(alice_client, fake):
    html = estimate_html(
        alice_client,
        models=["demo/markdown"],
        max_output_tokens="100",
        image_urls="https://example.com/cat.png\nhttps://example.com/dog.png",
    )
    # demo/markdown charges $0.0003 an image: 2 images, and 100 + 2 x 765 prompt tokens at
    # $0.0000003, 100 output tokens at $0.0000025.
    assert "plus $0.0006 in the model's fees per request and per image (2 images)" in html
    assert 'data-total="0.001339"' in html


def test_the_estimate_says_web_search_fees_come_on_top(alice_client, fake):
    note = "Web search is on: OpenRouter charges for it per search or per result"
    assert note in estimate_html(alice_client, web_search="on", web_search_max_results="3")
    assert note not in estimate_html(alice_client)


def test_the_estimate_shows_the_budget_and_whether_the_run_fits(alice_client, fake):
    fits = estimate_html(alice_client, max_output_tokens="1000", budget="0.005")
    assert 'data-over="false"' in fits and "Within the budget of $0.005." in fits
    over = estimate_html(alice_client, budget="0.005")
    assert 'data-over="true"' in over and "over its budget of $0.005" in over


def test_the_estimate_warns_of_a_model_without_image_input(alice_client, fake):
    html = estimate_html(
        alice_client,
        models=["demo/markdown", "demo/swift"],
        image_urls="https://example.com/cat.png",
    )
    assert (
        "Column 2 (demo/swift) does not read images: remove the images, or pick a model "
        "with image input."
    ) in html
    assert "Column 1 (demo/markdown) does not read" not in html
    assert 'data-prompt-tokens="865"' in html  # 100 + one image


def test_the_estimate_notes_what_else_a_model_lacks(alice_client, fake):
    html = estimate_html(
        alice_client,
        models=["demo/slow", "demo/summarizer"],
        temperature="0.5",
        **{"tool-name": "f"},
    )
    assert "Column 1 (demo/slow) does not support tools" in html
    assert "Column 2 (demo/summarizer) takes no temperature: it ignores them." in html


def test_an_unfinished_form_says_what_the_estimate_waits_for(alice_client, fake):
    html = estimate_html(alice_client, models=["demo/swift", "demo/nope"], temperature="9")
    assert 'data-testid="estimate-problem"' in html
    assert "Column 2: unknown model “demo/nope”." in html or "Temperature: Ensure" in html


def test_the_estimate_needs_no_prompt_and_is_only_for_the_signed_in(alice_client, fake):
    assert 'data-testid="estimate-total"' in estimate_html(alice_client, prompt="")
    response = Client().post("/setup/estimate/", {"models": ["demo/swift"]})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert alice_client.get("/setup/estimate/").status_code == 405


def test_a_run_over_its_budget_is_refused_and_nothing_is_saved(alice_client, fake):
    response = post_run(alice_client, models=("demo/swift", "demo/echo"), budget="0.001")
    assert response["HX-Retarget"] == "#compare-form"
    html = response.content.decode()
    # swift: 5 tokens at $0.0000001 and its 16,384 output limit at $0.0000004; echo: 5 at
    # $0.00000002 and 32,763 (its context less the prompt) at $0.00000008: $0.00917524.
    assert "At worst this run costs $0.0092, over its budget of $0.001." in html
    assert 'data-testid="budget-error"' in html
    assert not Run.objects.exists() and not RunColumn.objects.exists()


def test_a_run_within_its_budget_starts_and_keeps_it(alice_client, fake):
    post_run(alice_client, models=("demo/swift",), max_output_tokens="500", budget="0.001")
    run = Run.objects.get()
    assert run.budget == Decimal("0.001")
    # 18 characters: 5 tokens at $0.0000001, and 500 at $0.0000004.
    assert run.columns.get().cost_estimate == Decimal("0.0002005")


def test_run_create_refuses_a_setup_over_its_budget_given_the_catalog(alice, fake):
    from playground.runs.lifecycle import BudgetExceeded, run_create
    from playground.upstream.connection import catalog_connection, catalog_load, connection_for

    catalog = catalog_load(catalog_connection(alice)).models
    setup = setup_from_values(
        prompt="Hi", instructions="", parameters={}, models=["demo/swift"], budget="0.0001"
    )
    with pytest.raises(BudgetExceeded, match=r"over its budget of \$0\.0001"):
        run_create(owner=alice, setup=setup, connection=connection_for(alice), catalog=catalog)
    assert not Run.objects.exists()


def test_a_request_body_is_priced_by_all_its_text_and_images():
    from playground.setups.estimates import Prompt, body_prompt

    body = {
        "model": "demo/markdown",
        "instructions": "abcd" * 10,  # 10 tokens
        "input": [
            {"type": "message", "role": "user", "content": [
                {"type": "input_text", "text": "efgh" * 5},  # 5 tokens
                {"type": "input_image", "image_url": "data:image/png;base64," + "A" * 4000,
                 "detail": "auto"},
            ]},
        ],
    }  # fmt: skip
    words = len("message") + len("user") + len("input_text")  # the item's own strings
    assert body_prompt(body) == Prompt(-(-(40 + 20 + words) // 4) + 765, 1)


def test_the_estimate_warns_of_a_provider_no_endpoint_of_the_model_lists(alice_client, fake):
    fake.requests.clear()
    html = estimate_html(
        alice_client,
        models=["demo/swift", "demo/echo"],
        **{
            "col-loaded": ["1", "1"],
            "col-provider_only": ["nosuchprovider", "SwiftServe"],
            "col-provider_order": ["", "nearby-cloud, gone-cloud"],
        },
    )
    assert (
        "Column 1 (demo/swift): no endpoint of its model is served by “nosuchprovider” "
        "(provider only), so OpenRouter will find no endpoint for the request. It is served "
        "by: demo-labs, swiftserve, nearby-cloud."
    ) in html
    # A provider's name is as good as its slug; a slug beside known ones is passed over.
    assert "SwiftServe" not in html.split("Column 2 (demo/echo)")[1].split("(provider order)")[0]
    assert (
        "Column 2 (demo/echo): no endpoint of its model is served by “gone-cloud” (provider "
        "order), so OpenRouter passes over it."
    ) in html
    # The lookup is by the endpoints the fake lists for each model, and kept.
    asked = [r.path for r in fake.requests if r.path.endswith("/endpoints")]
    assert sorted(asked) == [
        "/api/v1/models/demo/echo/endpoints",
        "/api/v1/models/demo/swift/endpoints",
    ]


def test_no_provider_warning_without_provider_lists_or_when_the_endpoints_are_unknown(
    alice_client, alice, fake
):
    fake.requests.clear()
    assert "no endpoint of its model" not in estimate_html(alice_client, models=["demo/swift"])
    assert not [r for r in fake.requests if r.path.endswith("/endpoints")]
    # A model the endpoints list does not know (404) warns of nothing.
    from playground.upstream.connection import connection_for, endpoints_load

    assert endpoints_load(connection_for(alice), ["demo/nope"]) == {"demo/nope": None}
