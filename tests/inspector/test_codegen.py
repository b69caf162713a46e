"""Copy-as-code: every snippet sends the column's exact request and never carries its key.

The Python, curl and TypeScript snippets are run for real against the fake OpenRouter on a
loopback port, with the key only in the environment.
"""

import ast
import inspect
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from playground.inspector.codegen import OPENAI_KWARGS, code_snippets
from playground.openrouter import RequestParams, build_body, build_headers

OPENROUTER = "https://openrouter.ai/api/v1"
# The key a column was run with; it must not reach any snippet, even when given unredacted.
COLUMN_KEY = "sk-or-v1-" + "3f9a0c4be17d52a86f0e9b3c7d41a25e6b8f0c9d3e7a1b5f2c6d0e4a8b3f7c1d"
# The key the person running a snippet has in their environment.
RUNNER_KEY = "sk-or-v1-runner0000000000000000000000000000000000000000000000000000"
TRICKY_PROMPT = (
    "She said \"don't\" and 'won't'.\n"
    "$HOME `whoami` $(id) \\n is not a newline; C:\\temp\\new\n"
    "'''triple single''' \"\"\"triple double\"\"\"\n"
    "JSON\n"
    "Unicode: café, 東京, 🎉, right-to-left \u202eoverride\u202c, tab\tend.\r\n"
    "__BODY__ ${apiKey} {braces} %s"
)
TRICKY_TITLE = "Model Playground \"dev\" 'Bob's' $HOME `id`"


def demo_body(prompt: str = TRICKY_PROMPT, *, model: str = "demo/echo") -> dict:
    return build_body(
        RequestParams(
            model=model,
            prompt=prompt,
            instructions="Answer in one line.",
            temperature=0.7,
            max_output_tokens=800,
            reasoning_effort="low",
        )
    )


def openrouter_body() -> dict:
    """A body with OpenRouter's own keys, which the openai SDK does not take as arguments."""
    return demo_body() | {
        "provider": {"order": ["x"], "allow_fallbacks": False},
        "top_k": 5,
        "models": ["demo/echo", "demo/swift"],
        "plugins": [{"id": "response-healing"}],
    }


BODIES = {"demo": demo_body, "openrouter-extras": openrouter_body}


def column_headers(*, app_title: str = "Model Playground") -> dict[str, str]:
    return build_headers(api_key=COLUMN_KEY, app_url="http://127.0.0.1:8000", app_title=app_title)


def snippets(body: dict, *, headers=None, base_url: str = OPENROUTER) -> dict[str, str]:
    given = column_headers() if headers is None else headers
    return {
        snippet.id: snippet.code
        for snippet in code_snippets(body=body, headers=given, base_url=base_url)
    }


# Reading the body back out of each snippet


def curl_body(code: str) -> dict:
    _, _, document = code.partition("<<'JSON'\n")
    data, end, _ = document.partition("\nJSON\n")
    assert end, "the here-document is not closed"
    return json.loads(data)


def typescript_body(code: str) -> dict:
    literal = re.search(r"const body = (.*?);\n  const response", code, re.DOTALL)
    return json.loads(literal[1])


def httpx_body(code: str) -> dict:
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "BODY":
            return ast.literal_eval(node.value)
    raise AssertionError("no BODY in the snippet")


def openai_body(code: str) -> dict:
    """The JSON the SDK sends: the keyword arguments with `extra_body` merged in."""
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "client.responses.create":
            arguments = {keyword.arg: ast.literal_eval(keyword.value) for keyword in node.keywords}
            return arguments | arguments.pop("extra_body", {})
    raise AssertionError("no client.responses.create call in the snippet")


READERS = {
    "curl": curl_body,
    "python-openai": openai_body,
    "python-httpx": httpx_body,
    "typescript": typescript_body,
}


def test_there_is_one_snippet_per_language_with_a_label_and_a_file_name():
    result = code_snippets(body=demo_body(), headers=column_headers(), base_url=OPENROUTER)

    assert [(s.id, s.label, s.filename) for s in result] == [
        ("curl", "curl", "request.sh"),
        ("python-openai", "Python (openai SDK)", "request_openai.py"),
        ("python-httpx", "Python (httpx)", "request_httpx.py"),
        ("typescript", "TypeScript (fetch)", "request.ts"),
    ]


@pytest.mark.parametrize("snippet_id", ["python-openai", "python-httpx"])
def test_each_python_snippet_is_valid_python(snippet_id):
    for make_body in BODIES.values():
        ast.parse(snippets(make_body())[snippet_id])


@pytest.mark.parametrize("kind", BODIES)
@pytest.mark.parametrize("snippet_id", READERS)
def test_each_snippet_holds_exactly_the_body_the_column_sent(snippet_id, kind):
    body = BODIES[kind]()

    code = snippets(body)[snippet_id]

    assert READERS[snippet_id](code) == body


@pytest.mark.parametrize("snippet_id", READERS)
def test_a_prompt_full_of_quotes_escapes_and_unicode_comes_back_exactly(snippet_id):
    for prompt in [TRICKY_PROMPT, "'", '"', "\\", "\n", "", "JSON", "a\nJSON\nb", "\x00\x7f\u2028"]:
        code = snippets(demo_body(prompt))[snippet_id]

        text = READERS[snippet_id](code)["input"][0]["content"][0]["text"]
        assert text == prompt


def test_numbers_keep_their_values_and_types():
    body = demo_body() | {"temperature": 0.1, "top_p": 1e-05, "max_output_tokens": 7, "seed": 0}

    for snippet_id, code in snippets(body).items():
        read = READERS[snippet_id](code)
        assert [(read[key], type(read[key])) for key in ("temperature", "top_p", "seed")] == [
            (0.1, float),
            (1e-05, float),
            (0, int),
        ]


def test_no_snippet_carries_the_key_or_any_part_of_it():
    headers = column_headers() | {"Cookie": f"sessionid={COLUMN_KEY}"}
    secret = COLUMN_KEY.removeprefix("sk-or-v1-")

    for code in snippets(openrouter_body(), headers=headers).values():
        assert COLUMN_KEY not in code
        leaks = {secret[i : i + 8] for i in range(len(secret) - 7)} & {
            code[i : i + 8] for i in range(len(code) - 7)
        }
        assert not leaks
        assert "OPENROUTER_API_KEY" in code


def test_a_redacted_authorization_header_is_not_copied_either():
    headers = column_headers() | {"Authorization": "Bearer sk-or-…c1d"}

    for code in snippets(demo_body(), headers=headers).values():
        assert "…c1d" not in code
        assert "sk-or-…" not in code


def test_the_connection_headers_recorded_as_sent_are_left_to_each_client():
    # A column stores the headers as they went out, the HTTP library's own included.
    sent = column_headers() | {
        "Host": "openrouter.ai",
        "Content-Length": "172",
        "Connection": "keep-alive",
        "Accept-Encoding": "gzip, deflate",
        "User-Agent": "python-httpx/0.28.1",
    }

    for code in snippets(demo_body(), headers=sent).values():
        for name in ("Host", "Content-Length", "Connection", "Accept-Encoding", "User-Agent"):
            assert name not in code
        assert "X-OpenRouter-Title" in code and "HTTP-Referer" in code


def test_the_snippets_call_openrouter_at_the_configured_base_url():
    codes = snippets(demo_body(), base_url=f"{OPENROUTER}/")

    for snippet_id in ("curl", "python-httpx", "typescript"):
        assert f"{OPENROUTER}/responses" in codes[snippet_id]
    assert f'base_url="{OPENROUTER}"' in codes["python-openai"]


def test_every_argument_given_to_the_openai_sdk_is_one_its_responses_create_takes():
    from openai.resources.responses import Responses

    accepted = set(inspect.signature(Responses.create).parameters)

    assert accepted >= OPENAI_KWARGS


def test_openrouter_only_keys_go_to_the_openai_sdk_through_extra_body():
    code = snippets(openrouter_body())["python-openai"]

    call = next(
        node
        for node in ast.walk(ast.parse(code))
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "client.responses.create"
    )
    extra = next(keyword for keyword in call.keywords if keyword.arg == "extra_body")
    assert set(ast.literal_eval(extra.value)) == {"provider", "top_k", "models", "plugins"}


def test_a_request_that_was_not_streamed_is_refused():
    with pytest.raises(ValueError, match="streamed"):
        code_snippets(
            body=demo_body() | {"stream": False}, headers=column_headers(), base_url=OPENROUTER
        )


# Running the snippets


def command_for(snippet_id: str, path) -> list[str]:
    if snippet_id == "curl":
        return [_tool("bash"), str(path)]
    if snippet_id == "typescript":
        node = _tool("node")
        version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout
        if int(version.strip().lstrip("v").split(".")[0]) < 18:
            _missing(f"Node 18 or newer (found {version.strip()})")
        # The snippet has no type annotations, so Node runs it as JavaScript.
        return [node, str(path)]
    return [sys.executable, str(path)]


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        _missing(name)
    return found


def _missing(what: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what} is needed to run this snippet.")
    pytest.skip(f"{what} is not installed.")


EXTENSIONS = {"curl": "sh", "python-openai": "py", "python-httpx": "py", "typescript": "mjs"}


def run_snippet(snippet_id: str, code: str, tmp_path) -> subprocess.CompletedProcess:
    path = tmp_path / f"snippet.{EXTENSIONS[snippet_id]}"
    path.write_text(code, encoding="utf-8")
    env = os.environ | {
        "OPENROUTER_API_KEY": RUNNER_KEY,
        "PYTHONIOENCODING": "utf-8",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }
    result = subprocess.run(
        command_for(snippet_id, path), env=env, capture_output=True, timeout=60, check=False
    )
    # Decoded by hand: text mode would turn the prompt's "\r\n" into "\n".
    return subprocess.CompletedProcess(
        result.args, result.returncode, result.stdout.decode(), result.stderr.decode()
    )


def printed_answer(snippet_id: str, stdout: str) -> str:
    if snippet_id != "curl":
        return stdout
    # curl prints the raw event stream; the answer is its text deltas.
    events = [
        json.loads(line.removeprefix("data: "))
        for line in stdout.splitlines()
        if line.startswith("data: {")
    ]
    deltas = [e["delta"] for e in events if e["type"] == "response.output_text.delta"]
    return "".join(deltas) + "\n"


@pytest.mark.parametrize("kind", BODIES)
@pytest.mark.parametrize("snippet_id", READERS)
def test_a_pasted_snippet_sends_the_same_request_and_prints_the_answer(
    snippet_id, kind, upstream, settings, tmp_path
):
    body = BODIES[kind]()
    headers = column_headers(app_title=TRICKY_TITLE)
    code = snippets(body, headers=headers, base_url=settings.OPENROUTER_BASE_URL)[snippet_id]

    result = run_snippet(snippet_id, code, tmp_path)

    assert result.returncode == 0, result.stderr
    # demo/echo answers with the prompt it was sent.
    assert printed_answer(snippet_id, result.stdout) == f"You wrote:\n\n{TRICKY_PROMPT}\n"
    sent = upstream.requests[-1]
    assert (sent.method, sent.path) == ("POST", "/api/v1/responses")
    assert sent.json == body
    assert sent.headers["authorization"] == f"Bearer {RUNNER_KEY}"
    for name, value in headers.items():
        if name != "Authorization":
            assert sent.headers[name.lower()] == value


@pytest.mark.parametrize("snippet_id", ["python-openai", "python-httpx", "typescript"])
def test_a_stream_that_fails_midway_ends_with_a_clear_message(
    snippet_id, upstream, settings, tmp_path
):
    body = demo_body("Why is the sky blue?", model="demo/fail-midstream")
    code = snippets(body, base_url=settings.OPENROUTER_BASE_URL)[snippet_id]

    result = run_snippet(snippet_id, code, tmp_path)

    assert result.returncode != 0
    assert result.stdout.startswith("Starting on")
    assert "The stream failed: Internal server error" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("snippet_id", ["python-openai", "python-httpx", "typescript"])
def test_a_refused_request_shows_the_status_and_openrouters_message(
    snippet_id, upstream, settings, tmp_path
):
    body = demo_body(model="demo/fail-auth")
    code = snippets(body, base_url=settings.OPENROUTER_BASE_URL)[snippet_id]

    result = run_snippet(snippet_id, code, tmp_path)

    assert result.returncode != 0
    assert "401" in result.stderr
    assert "User not found." in result.stderr
