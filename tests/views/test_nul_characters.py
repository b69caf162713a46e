"""A NUL character in a search, a filter or a link's token finds nothing and answers as
any other miss would. SQLite compares it like any character; PostgreSQL refuses a query
that holds one, which would otherwise be a server error."""

import pytest

from tests.factories import a_finished_run, a_preset

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    ["/runs/?q=Nile%00", "/runs/?model=demo/echo%00", "/presets/?q=Riv%00ers"],
)
def test_a_search_with_a_nul_answers_like_any_other_search(alice_client, alice, path):
    a_finished_run(alice, prompt="Name the Nile's sources.", models=("demo/echo",))
    a_preset(alice, name="Rivers")

    response = alice_client.get(path)

    assert response.status_code == 200


def test_the_nul_is_left_out_of_the_search(alice_client, alice):
    a_finished_run(alice, prompt="Name the Nile's sources.")

    response = alice_client.get("/runs/?q=Ni%00le")

    assert "Name the Nile" in response.text


@pytest.mark.parametrize("path", ["/s/abc%00def/", "/s/abc%00def/fork/", "/accounts/signup/a%00b/"])
def test_a_token_with_a_nul_is_not_found(alice_client, settings, path):
    settings.PLAYGROUND_SIGNUP = "invite"

    response = alice_client.get(path)

    assert response.status_code == 404
    assert "There is nothing here" in response.text
