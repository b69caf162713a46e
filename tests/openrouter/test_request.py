import json
from decimal import Decimal

import pytest

from playground.openrouter import (
    FunctionTool,
    JsonSchemaFormat,
    ProviderPreferences,
    RequestParams,
    assistant_message,
    build_body,
    build_headers,
    function_call_item,
    function_call_output_item,
    reasoning_item,
    redact_headers,
    redact_key,
    user_message,
)

WEATHER_SCHEMA = {
    "type": "object",
    "properties": {"location": {"type": "string"}},
    "required": ["location"],
}
WEATHER = FunctionTool(
    name="get_weather", description="Get weather", parameters=WEATHER_SCHEMA, strict=None
)
ANSWER_SCHEMA = {
    "type": "object",
    "properties": {"a": {"type": "string"}},
    "required": ["a"],
    "additionalProperties": False,
}
HI = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Hi"}]}
PNG = "data:image/png;base64,iVBORw0KGgo="


def body_of(**options) -> dict:
    return build_body(RequestParams(model="openai/gpt-4o", prompt="Hi", **options))


def wire(body: dict) -> str:
    """The body as httpx sends it with `json=` (the standard encoder, compact here)."""
    return json.dumps(body, separators=(",", ":"))


def test_the_body_holds_only_what_was_set():
    body = build_body(RequestParams(model="openai/gpt-4o", prompt="Hi"))

    assert wire(body) == wire({"model": "openai/gpt-4o", "input": [HI], "stream": True})


@pytest.mark.parametrize(
    ("option", "value", "sent"),
    [
        ("instructions", "Be terse.", {"instructions": "Be terse."}),
        ("temperature", 0.0, {"temperature": 0.0}),
        ("top_p", 0.9, {"top_p": 0.9}),
        ("top_k", 40, {"top_k": 40}),
        ("max_output_tokens", 2000, {"max_output_tokens": 2000}),
        ("frequency_penalty", -0.5, {"frequency_penalty": -0.5}),
        ("presence_penalty", 1.5, {"presence_penalty": 1.5}),
        ("reasoning_effort", "low", {"reasoning": {"effort": "low"}}),
        ("reasoning_summary", "detailed", {"reasoning": {"summary": "detailed"}}),
        ("reasoning_max_tokens", 4096, {"reasoning": {"max_tokens": 4096}}),
        ("verbosity", "high", {"text": {"verbosity": "high"}}),
    ],
)
def test_each_parameter_goes_into_the_body_under_its_api_name(option, value, sent):
    body = body_of(**{option: value})

    assert body == {"model": "openai/gpt-4o", **sent, "input": [HI], "stream": True}


def test_a_function_tool_is_sent_flat_with_its_schema_and_strictness():
    tool = FunctionTool(
        name="lookup", description="Find it", parameters=WEATHER_SCHEMA, strict=True
    )

    assert body_of(tools=(tool,))["tools"] == [
        {
            "type": "function",
            "name": "lookup",
            "description": "Find it",
            "parameters": WEATHER_SCHEMA,
            "strict": True,
        }
    ]


def test_a_function_tool_without_strictness_sends_strict_null():
    assert body_of(tools=[WEATHER])["tools"][0]["strict"] is None


@pytest.mark.parametrize("choice", ["auto", "none", "required"])
def test_a_tool_choice_keyword_is_sent_as_is(choice):
    assert body_of(tools=[WEATHER], tool_choice=choice)["tool_choice"] == choice


def test_a_tool_choice_naming_a_function_forces_that_function():
    body = body_of(tools=[WEATHER], tool_choice="get_weather")

    assert body["tool_choice"] == {"type": "function", "name": "get_weather"}


def test_web_search_adds_openrouters_server_tool_with_its_max_results():
    assert body_of(web_search_max_results=5)["tools"] == [
        {"type": "openrouter:web_search", "parameters": {"max_results": 5}}
    ]


def test_web_search_comes_after_the_function_tools():
    tools = body_of(tools=[WEATHER], web_search_max_results=3)["tools"]

    assert [tool["type"] for tool in tools] == ["function", "openrouter:web_search"]


@pytest.mark.parametrize("strict", [True, False])
def test_a_json_schema_is_sent_as_a_flat_text_format(strict):
    body = body_of(json_schema=JsonSchemaFormat(name="answer", schema=ANSWER_SCHEMA, strict=strict))

    assert body["text"] == {
        "format": {
            "type": "json_schema",
            "name": "answer",
            "schema": ANSWER_SCHEMA,
            "strict": strict,
        }
    }


def test_a_json_schema_and_verbosity_share_the_text_object():
    body = body_of(
        json_schema=JsonSchemaFormat(name="answer", schema=ANSWER_SCHEMA), verbosity="low"
    )

    assert wire(body["text"]) == (
        '{"format":{"type":"json_schema","name":"answer","schema":'
        + wire(ANSWER_SCHEMA)
        + ',"strict":true},"verbosity":"low"}'
    )


@pytest.mark.parametrize(
    ("preference", "value", "sent"),
    [
        ("order", ("deepinfra", "groq"), {"order": ["deepinfra", "groq"]}),
        ("only", ["together"], {"only": ["together"]}),
        ("ignore", ("azure",), {"ignore": ["azure"]}),
        ("sort", "throughput", {"sort": "throughput"}),
        ("allow_fallbacks", False, {"allow_fallbacks": False}),
        ("data_collection", "deny", {"data_collection": "deny"}),
        ("zdr", True, {"zdr": True}),
        ("max_price_prompt", Decimal("0.5"), {"max_price": {"prompt": 0.5}}),
        ("max_price_completion", Decimal("2"), {"max_price": {"completion": 2}}),
    ],
)
def test_each_provider_preference_goes_into_the_provider_object(preference, value, sent):
    body = body_of(provider=ProviderPreferences(**{preference: value}))

    assert body["provider"] == sent


def test_provider_preferences_with_nothing_set_send_no_provider_object():
    assert "provider" not in body_of(provider=ProviderPreferences())


def test_max_prices_go_out_as_json_numbers_with_exactly_their_decimal_digits():
    # 0.1 + 0.2 as floats would be 0.30000000000000004.
    prices = ProviderPreferences(
        max_price_prompt=Decimal("0.1") + Decimal("0.2"),
        max_price_completion=Decimal("12.3456789012345"),
    )

    assert '"max_price":{"prompt":0.3,"completion":12.3456789012345}' in wire(
        body_of(provider=prices)
    )


def test_a_whole_max_price_goes_out_without_a_fraction():
    prices = ProviderPreferences(max_price_prompt=Decimal("3.00"))

    assert '"max_price":{"prompt":3}' in wire(body_of(provider=prices))


def test_fallback_models_follow_the_primary_model_in_models():
    body = body_of(fallback_models=("anthropic/claude-haiku-4.5", "google/gemini-2.5-flash"))

    assert body["models"] == [
        "openai/gpt-4o",
        "anthropic/claude-haiku-4.5",
        "google/gemini-2.5-flash",
    ]
    assert body["model"] == "openai/gpt-4o"


def test_images_follow_the_prompt_text_in_the_new_user_message():
    body = body_of(images=("https://example.com/cat.jpg", PNG))

    assert body["input"] == [
        {
            "type": "message",
            "role": "user",
            "content": [
                {"type": "input_text", "text": "Hi"},
                {
                    "type": "input_image",
                    "image_url": "https://example.com/cat.jpg",
                    "detail": "auto",
                },
                {"type": "input_image", "image_url": PNG, "detail": "auto"},
            ],
        }
    ]


def test_history_is_sent_before_the_new_user_message():
    history = (
        user_message("What is 2+2?"),
        assistant_message("msg_tmp_abc", "4"),
    )

    body = build_body(RequestParams(model="m", prompt="And 3+3?", history=history))

    assert body["input"] == [*history, user_message("And 3+3?")]


def test_a_tool_result_continuation_ends_with_the_outputs_and_no_new_user_message():
    history = (
        user_message("Weather in Paris?"),
        function_call_item("fc_tmp_1", "call_abc", "get_weather", '{"location":"Paris"}'),
        function_call_output_item("call_abc", "18 °C, sunny"),
    )

    body = build_body(RequestParams(model="m", prompt="", history=history, tools=[WEATHER]))

    assert body["input"] == list(history)
    assert body["input"][-1] == {
        "type": "function_call_output",
        "call_id": "call_abc",
        "output": "18 °C, sunny",
    }


def test_an_empty_prompt_without_history_still_sends_one_user_message():
    body = build_body(RequestParams(model="m", prompt=""))

    assert body["input"] == [user_message("")]


def test_the_history_helpers_build_the_items_openrouter_expects():
    assert user_message("Look", images=[PNG]) == {
        "type": "message",
        "role": "user",
        "content": [
            {"type": "input_text", "text": "Look"},
            {"type": "input_image", "image_url": PNG, "detail": "auto"},
        ],
    }
    assert assistant_message("msg_1", "Hello") == {
        "type": "message",
        "role": "assistant",
        "id": "msg_1",
        "status": "completed",
        "content": [{"type": "output_text", "text": "Hello", "annotations": []}],
    }
    assert function_call_item("fc_1", "call_1", "get_weather", "{}") == {
        "type": "function_call",
        "id": "fc_1",
        "call_id": "call_1",
        "name": "get_weather",
        "arguments": "{}",
    }


def test_every_option_together_gives_the_exact_json_in_the_documented_key_order():
    params = RequestParams(
        model="openai/o4-mini",
        prompt="What is in this image?",
        instructions="You are terse.",
        images=("https://example.com/cat.jpg",),
        history=(
            user_message("Hello"),
            reasoning_item("rs_1", [{"type": "summary_text", "text": "Greet."}], "gAAA.eyJ9"),
            assistant_message("msg_tmp_1", "Hi!"),
        ),
        keep_reasoning=True,
        tools=(WEATHER,),
        web_search_max_results=3,
        tool_choice="auto",
        reasoning_effort="low",
        reasoning_summary="auto",
        json_schema=JsonSchemaFormat(name="answer", schema=ANSWER_SCHEMA, strict=True),
        verbosity="medium",
        max_output_tokens=2000,
        temperature=0.7,
        top_p=0.95,
        top_k=50,
        frequency_penalty=0.1,
        presence_penalty=-0.1,
        fallback_models=("anthropic/claude-haiku-4.5",),
        provider=ProviderPreferences(
            order=("openai",),
            only=("openai", "azure"),
            ignore=("deepinfra",),
            sort="price",
            allow_fallbacks=True,
            data_collection="deny",
            zdr=True,
            max_price_prompt=Decimal("1.10"),
            max_price_completion=Decimal("4.4"),
        ),
    )

    assert wire(build_body(params)) == (
        '{"model":"openai/o4-mini",'
        '"instructions":"You are terse.",'
        '"input":['
        '{"type":"message","role":"user","content":[{"type":"input_text","text":"Hello"}]},'
        '{"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"Greet."}],'
        '"encrypted_content":"gAAA.eyJ9"},'
        '{"type":"message","role":"assistant","id":"msg_tmp_1","status":"completed",'
        '"content":[{"type":"output_text","text":"Hi!","annotations":[]}]},'
        '{"type":"message","role":"user","content":['
        '{"type":"input_text","text":"What is in this image?"},'
        '{"type":"input_image","image_url":"https://example.com/cat.jpg","detail":"auto"}]}],'
        '"tools":[{"type":"function","name":"get_weather","description":"Get weather",'
        '"parameters":{"type":"object","properties":{"location":{"type":"string"}},'
        '"required":["location"]},"strict":null},'
        '{"type":"openrouter:web_search","parameters":{"max_results":3}}],'
        '"tool_choice":"auto",'
        '"reasoning":{"effort":"low","summary":"auto"},'
        '"include":["reasoning.encrypted_content"],'
        '"text":{"format":{"type":"json_schema","name":"answer","schema":'
        '{"type":"object","properties":{"a":{"type":"string"}},"required":["a"],'
        '"additionalProperties":false},"strict":true},"verbosity":"medium"},'
        '"max_output_tokens":2000,"temperature":0.7,"top_p":0.95,"top_k":50,'
        '"frequency_penalty":0.1,"presence_penalty":-0.1,'
        '"models":["openai/o4-mini","anthropic/claude-haiku-4.5"],'
        '"provider":{"order":["openai"],"only":["openai","azure"],"ignore":["deepinfra"],'
        '"allow_fallbacks":true,"data_collection":"deny","zdr":true,"sort":"price",'
        '"max_price":{"prompt":1.1,"completion":4.4}},'
        '"stream":true}'
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"temperature": 2.1}, "Temperature must be a number from 0 to 2"),
        ({"temperature": -0.1}, "Temperature must be a number from 0 to 2"),
        ({"temperature": float("nan")}, "Temperature must be a number from 0 to 2"),
        ({"temperature": "hot"}, "Temperature must be a number"),
        ({"top_p": 1.5}, "Top P must be a number from 0 to 1"),
        ({"top_k": -1}, "Top K must be a whole number of at least 0"),
        ({"top_k": 2.5}, "Top K must be a whole number"),
        ({"top_k": True}, "Top K must be a whole number"),
        ({"frequency_penalty": 2.5}, "Frequency penalty must be a number from -2 to 2"),
        ({"presence_penalty": -3}, "Presence penalty must be a number from -2 to 2"),
        ({"max_output_tokens": 0}, "Max output tokens must be a whole number of at least 1"),
        ({"reasoning_max_tokens": 0}, "reasoning token budget must be a whole number"),
        ({"reasoning_effort": "extreme"}, "Unknown reasoning effort 'extreme'"),
        ({"reasoning_summary": "long"}, "Unknown reasoning summary 'long'"),
        ({"verbosity": "chatty"}, "Unknown verbosity 'chatty'"),
        (
            {"reasoning_effort": "high", "reasoning_max_tokens": 2000},
            "a reasoning effort or a reasoning token budget, not both",
        ),
        ({"web_search_max_results": 0}, "Web search max results must be a whole number from 1"),
        ({"web_search_max_results": 11}, "from 1 to 10"),
        ({"tools": [WEATHER, WEATHER]}, "Two tools are named 'get_weather'"),
        ({"tools": [{"name": "x"}]}, "Every tool must be a FunctionTool"),
        ({"tools": [WEATHER], "tool_choice": "get_time"}, "tool choice 'get_time' is neither"),
        ({"tool_choice": "get_weather"}, "tool choice 'get_weather' is neither"),
        ({"fallback_models": "openai/gpt-4o"}, "Fallback models must be a list"),
        ({"fallback_models": ["a/b", ""]}, "Fallback models must be a list of non-empty names"),
        ({"images": ["http://example.com/cat.jpg"]}, "neither an https:// URL nor a base64"),
        ({"images": ["data:image/svg+xml;base64,PHN2Zz4="]}, "PNG, JPEG, GIF or WebP"),
        ({"images": ["data:image/png,notbase64"]}, "neither an https:// URL"),
        ({"history": ["hello"]}, "Every history item must be a JSON object"),
    ],
)
def test_it_refuses_a_value_openrouter_would_reject(options, message):
    with pytest.raises(ValueError, match=message):
        RequestParams(model="m", prompt="p", **options)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"name": "get weather"}, "tool name 'get weather' must be 1 to 64 letters"),
        ({"name": "x" * 65}, "must be 1 to 64 letters"),
        ({"name": ""}, "must be 1 to 64 letters"),
        ({"name": "ok", "parameters": "{}"}, "parameters of tool 'ok' must be a JSON schema"),
        ({"name": "ok", "strict": "yes"}, "strict setting of tool 'ok'"),
    ],
)
def test_it_refuses_a_malformed_function_tool(options, message):
    with pytest.raises(ValueError, match=message):
        FunctionTool(**options)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"name": "my schema", "schema": {}}, "JSON schema name 'my schema' must be 1 to 64"),
        ({"name": "answer", "schema": ["type"]}, "The JSON schema must be a JSON object"),
        ({"name": "answer", "schema": {}, "strict": None}, "strict setting of the JSON schema"),
    ],
)
def test_it_refuses_a_malformed_json_schema_format(options, message):
    with pytest.raises(ValueError, match=message):
        JsonSchemaFormat(**options)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"sort": "cheapest"}, "Unknown provider sort 'cheapest'"),
        ({"data_collection": "maybe"}, "Unknown data collection setting 'maybe'"),
        ({"order": "openai"}, "Provider order must be a list of names"),
        ({"ignore": ["azure", " "]}, "Provider ignore must be a list of non-empty names"),
        ({"zdr": "yes"}, "Zero data retention must be true, false or unset"),
        ({"allow_fallbacks": 1}, "Allow fallbacks must be true, false or unset"),
        ({"max_price_prompt": Decimal("-1")}, "max prompt price must be a decimal amount"),
        ({"max_price_completion": 0.5}, "max completion price must be a decimal amount"),
        ({"max_price_prompt": Decimal("NaN")}, "max prompt price must be a decimal amount"),
        (
            {"max_price_prompt": Decimal("0.1234567890123456")},
            "more than 15 significant digits",
        ),
    ],
)
def test_it_refuses_malformed_provider_preferences(options, message):
    with pytest.raises(ValueError, match=message):
        ProviderPreferences(**options)


def test_the_history_helpers_refuse_an_image_that_is_not_an_allowed_url():
    with pytest.raises(ValueError, match="neither an https:// URL"):
        user_message("Look", images=["file:///etc/passwd"])


def test_lists_given_for_sequences_are_kept_as_tuples():
    params = RequestParams(model="m", prompt="p", tools=[WEATHER], images=[PNG])

    assert params.tools == (WEATHER,)
    assert params.images == (PNG,)


def test_the_headers_authenticate_attribute_and_ask_for_a_stream():
    headers = build_headers(api_key="sk-or-v1-secret", app_url="https://x.test", app_title="Play")

    assert headers == {
        "Authorization": "Bearer sk-or-v1-secret",
        "HTTP-Referer": "https://x.test",
        "X-OpenRouter-Title": "Play",
        "Content-Type": "application/json",
        "Accept": "text/event-stream",
    }


def test_a_redacted_key_shows_only_its_last_four_characters():
    assert redact_key("sk-or-v1-0123456789abcd") == "…abcd"
    assert redact_key("") == ""
    assert redact_key("abc") == "…"


def test_redacted_headers_hide_the_key_and_keep_the_rest():
    headers = build_headers(api_key="sk-or-v1-0123456789abcd", app_url="u", app_title="t")

    redacted = redact_headers(headers)

    assert redacted["Authorization"] == "Bearer sk-or-…abcd"
    assert redacted["X-OpenRouter-Title"] == "t"
    assert headers["Authorization"] == "Bearer sk-or-v1-0123456789abcd"


def test_redaction_finds_the_authorization_header_in_any_case():
    assert redact_headers({"authorization": "Bearer sk-or-v1-zzzz9876"}) == {
        "authorization": "Bearer sk-or-…9876"
    }
