"""The compare form posted with every option, and the exact request body each column
stores (RunColumn.request_body): what is sent to OpenRouter."""

import base64
import json
from decimal import Decimal

import pytest

from playground.models import Run
from playground.setups.format import setup_request_params

pytestmark = pytest.mark.django_db

USER_MESSAGE = {
    "type": "message",
    "role": "user",
    "content": [{"type": "input_text", "text": "Name three rivers."}],
}
# The smallest valid PNG: the signature and the IHDR, IDAT and IEND chunks of 1x1 pixel.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg=="
)
WEATHER_SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}},
    "required": ["city"],
}


def post_run(client, *, models=("demo/swift",), files=None, **fields):
    data = {"prompt": "Name three rivers.", **fields, "models": list(models)}
    if files:
        data["image_files"] = files
    return client.post("/runs/", data, headers={"HX-Request": "true"})


def bodies(response) -> list[dict]:
    assert response.status_code == 200, response.content.decode()[:2000]
    assert "form-errors" not in response.content.decode(), response.content.decode()[:3000]
    return [column.request_body for column in Run.objects.latest("pk").columns.all()]


def test_every_run_parameter_is_sent_as_typed(alice_client, fake):
    (body,) = bodies(
        post_run(
            alice_client,
            models=("demo/reasoner",),
            instructions="Be brief.",
            temperature="0.3",
            top_p="0.9",
            top_k="40",
            max_output_tokens="256",
            frequency_penalty="0.5",
            presence_penalty="-0.5",
            reasoning_effort="low",
            reasoning_summary="detailed",
            verbosity="high",
        )
    )
    assert body == {
        "model": "demo/reasoner",
        "instructions": "Be brief.",
        "input": [USER_MESSAGE],
        "reasoning": {"effort": "low", "summary": "detailed"},
        "include": ["reasoning.encrypted_content"],
        "text": {"verbosity": "high"},
        "max_output_tokens": 256,
        "temperature": 0.3,
        "top_p": 0.9,
        "top_k": 40,
        "frequency_penalty": 0.5,
        "presence_penalty": -0.5,
        "stream": True,
    }


def test_a_reasoning_token_budget_is_sent_instead_of_an_effort(alice_client, fake):
    (body,) = bodies(post_run(alice_client, models=("demo/reasoner",), reasoning_max_tokens="2000"))
    assert body["reasoning"] == {"max_tokens": 2000}


def test_nothing_set_sends_only_the_model_and_the_prompt(alice_client, fake):
    (body,) = bodies(post_run(alice_client))
    assert body == {"model": "demo/swift", "input": [USER_MESSAGE], "stream": True}


def test_each_column_sends_its_own_parameters_over_the_runs(alice_client, fake):
    columns = bodies(
        post_run(
            alice_client,
            models=("demo/swift", "demo/swift", "demo/reasoner"),
            temperature="0.5",
            max_output_tokens="300",
            reasoning_effort="high",
            **{
                "col-temperature": ["0.2", "", ""],
                "col-top_k": ["", "7", ""],
                "col-reasoning_max_tokens": ["", "", "1000"],
            },
        )
    )
    assert [body.get("temperature") for body in columns] == [0.2, 0.5, 0.5]
    assert [body.get("top_k") for body in columns] == [None, 7, None]
    assert [body["max_output_tokens"] for body in columns] == [300, 300, 300]
    # A column's reasoning budget replaces the run's effort: OpenRouter takes one.
    assert [body["reasoning"] for body in columns] == [
        {"effort": "high"},
        {"effort": "high"},
        {"max_tokens": 1000},
    ]


def test_with_the_same_settings_for_all_columns_their_own_are_not_sent(alice_client, fake):
    columns = bodies(
        post_run(
            alice_client,
            models=("demo/swift", "demo/swift"),
            temperature="0.5",
            same_settings="on",
            **{"col-temperature": ["0.2", "1.9"]},
        )
    )
    assert [body["temperature"] for body in columns] == [0.5, 0.5]
    setup = Run.objects.get().setup
    assert setup["same_settings"] is True
    assert [column["parameters"] for column in setup["columns"]] == [{}, {}]


def test_the_same_model_twice_with_different_providers(alice_client, fake):
    columns = bodies(
        post_run(
            alice_client,
            models=("demo/swift", "demo/swift"),
            **{"col-provider_only": ["demo-labs", "swiftserve"]},
        )
    )
    assert [body["provider"] for body in columns] == [
        {"only": ["demo-labs"]},
        {"only": ["swiftserve"]},
    ]
    assert [body["model"] for body in columns] == ["demo/swift", "demo/swift"]


def test_every_routing_setting_and_fallback_models(alice_client, fake):
    (body,) = bodies(
        post_run(
            alice_client,
            **{
                "col-provider_order": "demo-labs, swiftserve",
                "col-provider_only": "",
                "col-provider_ignore": "nearby-cloud",
                "col-provider_sort": "price",
                "col-allow_fallbacks": "false",
                "col-data_collection": "deny",
                "col-zdr": "true",
                "col-max_price_prompt": "0.5",
                "col-max_price_completion": "1.25",
                "col-fallback_models": "demo/echo, demo/markdown",
            },
        )
    )
    assert body["provider"] == {
        "order": ["demo-labs", "swiftserve"],
        "ignore": ["nearby-cloud"],
        "allow_fallbacks": False,
        "data_collection": "deny",
        "zdr": True,
        "sort": "price",
        "max_price": {"prompt": 0.5, "completion": 1.25},
    }
    assert body["models"] == ["demo/swift", "demo/echo", "demo/markdown"]
    assert "include" not in body  # none of them reasons
    routing = Run.objects.get().setup["columns"][0]["routing"]
    assert routing["max_price_prompt"] == "0.5" and routing["max_price_completion"] == "1.25"


def test_a_column_with_a_reasoning_fallback_asks_for_its_reasoning_back(alice_client, fake):
    (body,) = bodies(post_run(alice_client, **{"col-fallback_models": "demo/reasoner"}))
    assert body["models"] == ["demo/swift", "demo/reasoner"]
    assert body["include"] == ["reasoning.encrypted_content"]


def test_function_tools_and_a_named_tool_choice(alice_client, fake):
    (body,) = bodies(
        post_run(
            alice_client,
            tool_choice="get_weather",
            **{
                "tool-name": ["get_weather", "get_time"],
                "tool-description": ["The weather in a city.", ""],
                "tool-parameters": [json.dumps(WEATHER_SCHEMA), ""],
                "tool-strict": ["true", ""],
            },
        )
    )
    assert body["tools"] == [
        {
            "type": "function",
            "name": "get_weather",
            "description": "The weather in a city.",
            "parameters": WEATHER_SCHEMA,
            "strict": True,
        },
        {
            "type": "function",
            "name": "get_time",
            "description": "",
            "parameters": {"type": "object", "properties": {}},
            "strict": None,
        },
    ]
    assert body["tool_choice"] == {"type": "function", "name": "get_weather"}


@pytest.mark.parametrize("choice", ["auto", "none", "required"])
def test_a_tool_choice_by_mode(alice_client, fake, choice):
    (body,) = bodies(post_run(alice_client, tool_choice=choice, **{"tool-name": "get_time"}))
    assert body["tool_choice"] == choice


def test_an_empty_tool_row_is_no_tool(alice_client, fake):
    (body,) = bodies(
        post_run(alice_client, **{"tool-name": ["", ""], "tool-parameters": ["", " "]})
    )
    assert "tools" not in body


def test_web_search_adds_the_openrouter_tool(alice_client, fake):
    (body,) = bodies(
        post_run(alice_client, web_search="on", web_search_max_results="5", **{"tool-name": "f"})
    )
    assert body["tools"][1] == {"type": "openrouter:web_search", "parameters": {"max_results": 5}}
    (body,) = bodies(post_run(alice_client, web_search="on", web_search_max_results=""))
    assert body["tools"] == [{"type": "openrouter:web_search", "parameters": {"max_results": 3}}]


def test_web_search_off_sends_no_tool_even_with_a_number(alice_client, fake):
    (body,) = bodies(post_run(alice_client, web_search_max_results="5"))
    assert "tools" not in body


@pytest.mark.parametrize(("strict", "sent"), [("on", True), (None, False)])
def test_a_structured_output_schema(alice_client, fake, strict, sent):
    fields = {"schema_name": "weather", "schema": json.dumps(WEATHER_SCHEMA)}
    if strict:
        fields["schema_strict"] = strict
    (body,) = bodies(post_run(alice_client, verbosity="low", **fields))
    assert body["text"] == {
        "format": {
            "type": "json_schema",
            "name": "weather",
            "schema": WEATHER_SCHEMA,
            "strict": sent,
        },
        "verbosity": "low",
    }


def test_image_urls_go_with_the_prompt(alice_client, fake):
    (body,) = bodies(
        post_run(
            alice_client,
            models=("demo/markdown",),
            image_urls="https://example.com/a.png\n\n  https://example.com/b.jpg  ",
        )
    )
    assert body["input"] == [
        {
            "type": "message",
            "role": "user",
            "content": [
                {"type": "input_text", "text": "Name three rivers."},
                {"type": "input_image", "image_url": "https://example.com/a.png", "detail": "auto"},
                {"type": "input_image", "image_url": "https://example.com/b.jpg", "detail": "auto"},
            ],
        }
    ]


def test_an_uploaded_image_is_sent_as_a_data_url_checked_by_its_content(alice_client, fake):
    from django.core.files.uploadedfile import SimpleUploadedFile

    # Named and labelled as a JPEG, it is a PNG: the content decides.
    upload = SimpleUploadedFile("photo.jpg", PNG, content_type="image/jpeg")
    (body,) = bodies(post_run(alice_client, models=("demo/markdown",), files=[upload]))
    data_url = "data:image/png;base64," + base64.b64encode(PNG).decode()
    assert body["input"][0]["content"][1] == {
        "type": "input_image",
        "image_url": data_url,
        "detail": "auto",
    }
    assert Run.objects.get().setup["images"] == [data_url]


def test_the_run_keeps_its_whole_setup_its_budget_and_each_columns_estimate(alice_client, fake):
    post_run(
        alice_client,
        models=("demo/swift", "demo/echo"),
        max_output_tokens="1000",
        budget="0.5",
        **{"col-provider_sort": ["", "latency"]},
    )
    run = Run.objects.get()
    assert run.budget == Decimal("0.5")
    assert run.setup["budget"] == "0.5"
    assert run.setup["columns"][1]["routing"] == {"sort": "latency"}
    swift, echo = run.columns.all()
    # 18 characters: 5 prompt tokens; 1000 output tokens at most.
    assert swift.cost_estimate == Decimal("5") * Decimal("0.0000001") + 1000 * Decimal("0.0000004")
    assert echo.cost_estimate == 5 * Decimal("0.00000002") + 1000 * Decimal("0.00000008")


def test_the_stored_body_is_the_one_the_setup_builds(alice_client, fake):
    from playground.openrouter import build_body

    post_run(alice_client, temperature="1", tool_choice="none", **{"tool-name": "f"})
    run = Run.objects.get()
    column = run.columns.get()
    assert column.request_body == build_body(setup_request_params(run.setup, 0))
