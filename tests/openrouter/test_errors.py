import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx

from playground.openrouter import OpenRouterError, decode_data


def http_error(status: int, body: object, headers: dict[str, str] | None = None):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return OpenRouterError.from_http(status, headers or {}, raw)


def test_a_401_says_the_key_was_rejected():
    error = http_error(401, {"error": {"message": "User not found.", "code": 401}})

    assert error.kind == "auth"
    assert error.status == 401
    assert error.code == "401"
    assert error.upstream_message == "User not found."
    assert str(error) == "OpenRouter rejected the API key (User not found.)."


def test_a_402_says_credits_ran_out():
    error = http_error(402, {"error": {"message": "Insufficient credits.", "code": 402}})

    assert error.kind == "credits"
    assert error.message == "Out of credits: Insufficient credits."


def test_a_429_reads_retry_after_seconds_and_the_provider_inside_error():
    body = {
        "error": {
            "code": 429,
            "message": "Provider returned error",
            "metadata": {"provider_name": "Google", "raw": "rate-limited upstream"},
        },
        "user_id": "user_1",
    }

    error = http_error(429, body, {"Retry-After": "7"})

    assert error.kind == "rate_limit"
    assert error.retry_after == 7.0
    assert error.provider == "Google"
    assert error.metadata["raw"] == "rate-limited upstream"
    assert error.message == "Rate limited by the provider; try again in 7 s."


def test_retry_after_may_be_an_http_date():
    when = datetime.now(UTC) + timedelta(seconds=30)

    error = http_error(429, {}, {"retry-after": format_datetime(when, usegmt=True)})

    assert 25 <= error.retry_after <= 30


def test_retry_after_may_come_from_the_availability_object():
    body = {
        "error": {
            "code": 429,
            "message": "Capacity exhausted",
            "error_type": "rate_limit_exceeded",
            "availability": {"code": "capacity_exhausted", "retry_after": 12},
        }
    }

    error = http_error(429, body)

    assert error.retry_after == 12.0
    assert error.error_type == "rate_limit_exceeded"


def test_the_responses_envelope_has_a_string_code_and_metadata_beside_error():
    body = {
        "error": {"code": "invalid_prompt", "message": "Invalid Responses API request"},
        "metadata": {"raw": "[zod issues]"},
    }

    error = http_error(400, body)

    assert error.kind == "invalid_request"
    assert error.code == "invalid_prompt"
    assert error.metadata == {"raw": "[zod issues]"}
    assert error.message == "OpenRouter rejected the request: Invalid Responses API request"


def test_null_metadata_is_an_empty_dict():
    body = {"error": {"code": "invalid_prompt", "message": "Bad"}, "metadata": None}

    assert http_error(400, body).metadata == {}


def test_an_html_502_page_still_gives_a_plain_message():
    error = http_error(502, b"<html><body><h1>502 Bad Gateway</h1></body></html>")

    assert error.kind == "provider_down"
    assert error.code == "502"
    assert error.upstream_message == ""
    assert error.message == "The provider is down or overloaded (502): Bad Gateway"


def test_an_empty_500_body_is_a_server_error():
    error = http_error(500, b"")

    assert error.kind == "server"
    assert error.message == "OpenRouter had an internal error (500): Internal Server Error"


def test_response_failed_reads_the_error_and_the_top_level_error_type():
    data = {
        "type": "response.failed",
        "response": {
            "status": "failed",
            "error": {"code": "server_error", "message": "Invalid credentials"},
            "error_type": "authentication",
        },
    }

    error = OpenRouterError.from_event(data)

    assert error.kind == "auth"
    assert error.status is None
    assert error.code == "server_error"
    assert error.error_type == "authentication"
    assert error.upstream_message == "Invalid credentials"


def test_a_flat_error_event_is_read():
    error = OpenRouterError.from_event(
        {"type": "error", "code": "rate_limit_exceeded", "message": "Slow down", "param": None}
    )

    assert (error.kind, error.code, error.upstream_message) == (
        "rate_limit",
        "rate_limit_exceeded",
        "Slow down",
    )


def test_a_nested_error_event_is_read():
    data = {
        "type": "error",
        "error": {"type": "server_error", "code": "server_error", "message": "Boom", "param": None},
    }

    error = OpenRouterError.from_event(data)

    assert error.kind == "stream_failed"
    assert error.code == "server_error"
    assert error.message == "The answer stopped with an error: Boom"


def test_a_chat_style_error_with_an_http_code_maps_like_the_status():
    error = OpenRouterError.from_event({"error": {"code": 400, "message": "Token limit reached"}})

    assert error.kind == "invalid_request"
    assert error.code == "400"


def test_a_read_timeout_names_the_timeout_that_fired():
    request = httpx.Request(
        "POST", "https://or.test/responses", extensions={"timeout": {"read": 60}}
    )

    error = OpenRouterError.from_transport(httpx.ReadTimeout("timed out", request=request))

    assert error.kind == "timeout"
    assert error.code == "timeout"
    assert error.status is None
    assert error.message == "No answer from OpenRouter within 60 s."


def test_a_failed_connection_is_a_network_error():
    error = OpenRouterError.from_transport(httpx.ConnectError("[Errno 111] Connection refused"))

    assert error.kind == "network"
    assert error.message == "The connection to OpenRouter failed: [Errno 111] Connection refused"


def test_an_error_survives_a_round_trip_through_json():
    data = decode_data(
        '{"type":"error","error":{"code":"server_error","message":"Down",'
        '"metadata":{"provider_name":"Groq","retry_after":2.5}}}'
    )
    error = OpenRouterError.from_event(data)

    restored = OpenRouterError.from_dict(json.loads(json.dumps(error.to_dict())))

    assert restored.to_dict() == error.to_dict()
    assert restored.message == error.message
    assert restored.provider == "Groq"
    assert restored.retry_after == 2.5
