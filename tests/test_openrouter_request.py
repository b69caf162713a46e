import pytest

from playground.openrouter import (
    RequestParams,
    build_body,
    build_headers,
    redact_headers,
    redact_key,
)


def test_the_body_holds_only_what_was_set():
    body = build_body(RequestParams(model="openai/gpt-4o", prompt="Hi"))

    assert body == {
        "model": "openai/gpt-4o",
        "input": [
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Hi"}]}
        ],
        "stream": True,
    }


def test_the_body_carries_every_optional_parameter_that_was_set():
    params = RequestParams(
        model="openai/o4-mini",
        prompt="Why?",
        instructions="Be terse.",
        temperature=0.0,
        top_p=0.9,
        max_output_tokens=2000,
        reasoning_effort="low",
    )

    body = build_body(params)

    assert body["instructions"] == "Be terse."
    assert body["temperature"] == 0.0
    assert body["top_p"] == 0.9
    assert body["max_output_tokens"] == 2000
    assert body["reasoning"] == {"effort": "low"}
    assert body["stream"] is True


def test_it_rejects_an_unknown_reasoning_effort():
    with pytest.raises(ValueError, match="extreme"):
        RequestParams(model="m", prompt="p", reasoning_effort="extreme")


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
