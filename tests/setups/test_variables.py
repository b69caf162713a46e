"""Variables: `{{name}}` in the prompt and the instructions, filled for one run."""

from playground.models import Run
from playground.setups.format import setup_normalize, setup_request_params
from playground.setups.validation import setup_validate
from playground.setups.variables import fill, missing_variables, variable_names
from tests.views.test_runs import post_run


def test_names_are_found_once_each_in_the_order_they_appear():
    text = "Tell {{ who }} about {{city}}, then {{who}} again in {{ Lang_2 }}."
    assert variable_names(text, "Answer in {{lang}}") == ["who", "city", "Lang_2", "lang"]


def test_only_names_of_letters_digits_and_underscores_not_starting_with_a_digit_count():
    assert variable_names("{{1city}} {{}} {{a-b}} {{ok_1}} {city} {{ c d }}") == ["ok_1"]


def test_values_are_filled_and_an_escaped_brace_is_a_literal():
    text = r"About {{city}}: write \{{city}} to use a variable, and {{city}} again."
    assert fill(text, {"city": "Lisbon"}) == (
        "About Lisbon: write {{city}} to use a variable, and Lisbon again."
    )
    assert variable_names(text) == ["city"]


def test_a_value_is_inserted_as_it_is_not_read_for_variables():
    assert fill("{{a}} and {{b}}", {"a": "{{b}}", "b": r"\{{x"}) == r"{{b}} and \{{x"


def test_a_variable_without_a_value_is_left_as_written_and_named():
    assert fill("Hi {{ name }} from {{city}}", {"city": "Oslo"}) == "Hi {{ name }} from Oslo"
    assert missing_variables({"city": "Oslo"}, "Hi {{name}} from {{city}}") == ["name"]


def test_the_request_of_a_setup_has_its_variables_filled_in():
    setup = setup_normalize(
        {
            "prompt": "Weather in {{city}}?",
            "instructions": "Answer in {{lang}}.",
            "columns": [{"model": "demo/swift"}],
            "variables": {"city": "Porto", "lang": "Portuguese"},
        }
    )
    params = setup_request_params(setup, 0)
    assert params.prompt == "Weather in Porto?"
    assert params.instructions == "Answer in Portuguese."


def test_a_setup_keeps_only_the_values_of_variables_it_uses():
    setup, errors = setup_validate(
        {
            "prompt": "Weather in {{city}}?",
            "columns": [{"model": "demo/swift"}],
            "variables": {"city": "Porto", "unused": "x"},
        }
    )
    assert errors == {}
    assert setup["variables"] == {"city": "Porto"}
    assert setup["prompt"] == "Weather in {{city}}?"


def test_a_setup_with_variables_that_are_not_text_is_refused():
    _, errors = setup_validate(
        {"prompt": "{{n}}", "columns": [{"model": "demo/swift"}], "variables": {"n": 3}}
    )
    assert errors == {"variables": ["must be an object of names and text values"]}


def test_the_stored_request_of_a_run_has_the_values_filled_in(alice_client, fake):
    response = post_run(
        alice_client,
        prompt="What is the capital of {{country}}?",
        instructions="Answer in {{ lang }}.",
        **{"var-country": "Portugal", "var-lang": "one word"},
    )
    assert response.status_code == 200
    run = Run.objects.get()
    assert run.prompt == "What is the capital of Portugal?"
    assert run.setup["prompt"] == "What is the capital of {{country}}?"
    assert run.setup["variables"] == {"country": "Portugal", "lang": "one word"}
    body = run.columns.first().request_body
    assert body["input"][0]["content"][0]["text"] == "What is the capital of Portugal?"
    assert body["instructions"] == "Answer in one word."


def test_a_run_needs_a_value_for_every_variable_and_saves_nothing_without(alice_client, fake):
    response = post_run(
        alice_client, prompt="Capital of {{country}} in {{lang}}?", **{"var-country": "Peru"}
    )
    assert Run.objects.count() == 0
    assert "Give a value to every variable of the prompt: {{lang}}." in response.content.decode()


def test_the_compare_page_shows_one_input_per_variable(alice_client, fake):
    response = alice_client.post(
        "/setup/variables/",
        {
            "prompt": "Weather in {{city}} on {{day}}",
            "instructions": "Be {{tone}}",
            "var-city": "Rome",
        },
    )
    html = response.content.decode()
    assert html.count('data-testid="variable"') == 3
    assert 'name="var-city"' in html and ">Rome</textarea>" in html
    assert 'data-name="day"' in html and 'data-name="tone"' in html


def test_a_prompt_without_variables_shows_no_inputs(alice_client, fake):
    response = alice_client.post("/setup/variables/", {"prompt": r"Plain \{{text}}"})
    assert response.status_code == 200
    assert 'data-testid="variable"' not in response.content.decode()


def test_a_run_page_opens_its_setup_with_the_variables_and_their_values(alice_client, fake):
    post_run(alice_client, prompt="Tell me about {{city}}", **{"var-city": "Kyoto"})
    run = Run.objects.get()
    html = alice_client.get(f"/runs/{run.pk}/").content.decode()
    assert "Tell me about {{city}}</textarea>" in html
    assert 'name="var-city"' in html and ">Kyoto</textarea>" in html


def test_running_again_sends_the_same_values(alice_client, fake):
    post_run(alice_client, prompt="Tell me about {{city}}", **{"var-city": "Kyoto"})
    first = Run.objects.get()
    alice_client.post(f"/runs/{first.pk}/rerun/")
    again = Run.objects.exclude(pk=first.pk).get()
    assert again.prompt == "Tell me about Kyoto"
    assert again.columns.first().request_body == first.columns.first().request_body
