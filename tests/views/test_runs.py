"""The compare page, creating a run (the form) and reopening it."""

import pytest

from playground.models import Run, RunColumn
from playground.setups.limits import MAX_PROMPT_CHARS


def post_run(client, *, models=("demo/swift", "demo/echo"), htmx=True, **fields):
    data = {
        "prompt": "Say hello",
        "instructions": "",
        "temperature": "",
        "max_output_tokens": "",
        "reasoning_effort": "",
        **fields,
        "models": list(models),
    }
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post("/runs/", data, headers=headers)


def test_the_compare_page_starts_with_two_demo_columns(alice_client, fake):
    response = alice_client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-testid="column"') == 3  # two columns and the template for more
    assert 'name="models" value="demo/swift"' in html
    assert 'name="models" value="demo/reasoner"' in html
    assert 'data-testid="demo-banner"' in html


def test_the_compare_page_lists_the_catalog(alice_client, fake):
    html = alice_client.get("/").content.decode()
    assert '<option value="demo/markdown">' in html
    assert "per M tokens" in html


def test_models_in_the_url_open_as_columns(alice_client, fake):
    html = alice_client.get("/?models=demo/slow,demo/echo,demo/markdown").content.decode()
    columns = ("demo/slow", "demo/echo", "demo/markdown")
    positions = [html.index(f'name="models" value="{m}"') for m in columns]
    assert positions == sorted(positions)
    assert 'name="models" value="demo/swift"' not in html


def test_a_run_is_created_with_its_exact_requests(alice_client, alice, fake):
    response = post_run(
        alice_client,
        temperature="0.3",
        max_output_tokens="256",
        reasoning_effort="low",
        instructions="Be brief.",
    )
    assert response.status_code == 200
    run = Run.objects.get()
    assert run.owner == alice and run.status == Run.Status.PENDING
    assert run.key_source == "demo"
    assert response["HX-Push-Url"] == f"/runs/{run.pk}/"
    columns = list(run.columns.all())
    assert [c.model for c in columns] == ["demo/swift", "demo/echo"]
    body = columns[0].request_body
    assert body["model"] == "demo/swift"
    assert body["input"] == [
        {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": "Say hello"}],
        }
    ]
    assert body["instructions"] == "Be brief."
    assert body["temperature"] == 0.3
    assert body["max_output_tokens"] == 256
    assert body["reasoning"] == {"effort": "low"}
    assert body["stream"] is True
    assert "sk-or-v1-demo" not in str(columns[0].request_headers)
    html = response.content.decode()
    assert f'sse-connect="/runs/{run.pk}/stream/"' in html
    assert html.count('data-testid="result"') == 2


def test_a_run_without_htmx_redirects_to_its_page(alice_client, fake):
    response = post_run(alice_client, htmx=False)
    run = Run.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/runs/{run.pk}/"


@pytest.mark.parametrize(
    ("fields", "models", "message"),
    [
        ({"prompt": ""}, ("demo/swift",), "Write a prompt"),
        ({}, (), "Add at least one column"),
        ({}, ("demo/swift", "nobody/nothing"), "unknown model “nobody/nothing”"),
        ({}, ("demo/swift", ""), "Column 2 has no model"),
        ({}, ["demo/swift"] * 9, "At most 8 columns"),
        ({"temperature": "2.5"}, ("demo/swift",), "less than or equal to 2"),
        ({"temperature": "hot"}, ("demo/swift",), "Enter a number"),
        ({"max_output_tokens": "0"}, ("demo/swift",), "greater than or equal to 1"),
        ({"reasoning_effort": "extreme"}, ("demo/swift",), "Select a valid choice"),
        ({"prompt": "x" * (MAX_PROMPT_CHARS + 1)}, ("demo/swift",), "at most 100000 characters"),
    ],
)
def test_a_bad_form_is_explained_and_saves_nothing(alice_client, fake, fields, models, message):
    response = post_run(alice_client, models=models, **fields)
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#compare-form"
    assert message in response.content.decode()
    assert not Run.objects.exists() and not RunColumn.objects.exists()


def test_a_bad_form_without_htmx_is_a_400_page(alice_client, fake):
    response = post_run(alice_client, htmx=False, prompt="")
    assert response.status_code == 400
    assert b"Write a prompt" in response.content
    assert not Run.objects.exists()


def test_a_bad_form_keeps_what_was_typed(alice_client, fake):
    html = post_run(alice_client, models=("demo/echo", "nope/x"), prompt="keep me").content.decode()
    assert "keep me" in html
    assert 'name="models" value="demo/echo"' in html and 'name="models" value="nope/x"' in html


def test_a_run_page_shows_its_setup_and_connects_while_pending(alice_client, fake):
    post_run(alice_client, prompt="Reopen me")
    run = Run.objects.get()
    html = alice_client.get(f"/runs/{run.pk}/").content.decode()
    assert "Reopen me" in html
    assert f'sse-connect="/runs/{run.pk}/stream/"' in html


def test_a_finished_run_page_shows_stored_answers_without_streaming(alice_client, alice, fake):
    post_run(alice_client, models=("demo/echo",))
    run = Run.objects.get()
    run.status = Run.Status.DONE
    run.save()
    run.columns.update(
        status="done",
        output_text="**bold** answer",
        input_tokens=12,
        output_tokens=34,
        reasoning_tokens=5,
        cached_tokens=2,
        cost="0.0000225",
        ttft_ms=150,
        total_ms=1150,
        served_model="demo/echo-2026",
    )
    html = alice_client.get(f"/runs/{run.pk}/").content.decode()
    assert "sse-connect" not in html
    assert "<strong>bold</strong> answer" in html
    assert 'data-status="done"' in html
    assert 'data-input-tokens="12"' in html and 'data-output-tokens="34"' in html
    assert 'data-reasoning-tokens="5"' in html and 'data-cached-tokens="2"' in html
    assert 'data-cost="0.0000225"' in html and "$0.0000225" in html
    assert 'data-ttft-ms="150"' in html and 'data-total-ms="1150"' in html
    assert 'data-served-model="demo/echo-2026"' in html
    assert "34.0 tok/s" in html  # 34 tokens in the 1 s after the first token


def test_another_person_gets_404_for_a_run(client, alice_client, bob, fake):
    post_run(alice_client)
    run = Run.objects.get()
    client.force_login(bob)
    assert client.get(f"/runs/{run.pk}/").status_code == 404
    assert client.get(f"/runs/{run.pk}/stream/").status_code == 404
    assert Run.objects.get().status == Run.Status.PENDING


def test_an_unknown_run_is_a_404_page_without_details(alice_client, fake):
    response = alice_client.get("/runs/999999/")
    assert response.status_code == 404
    assert b"Traceback" not in response.content


def test_the_runs_address_refuses_methods_other_than_get_and_post(alice_client):
    assert alice_client.put("/runs/").status_code == 405
    assert alice_client.delete("/runs/").status_code == 405
