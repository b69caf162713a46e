"""The word diff of two answers: `/runs/<id>/diff/` for the run's owner and
`/s/<token>/diff/` for anyone with a shared run's active link, as a page of its own and
as the fragment the run and share pages fetch with htmx."""

import html
import re

import pytest
from django.test import Client

from playground.models import Run, RunColumn
from playground.presets import sharing
from tests.factories import a_finished_run, a_run

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
ANSWERS = ("The Nile is the longest river.", "The Amazon is the longest river.", "Nile.")
MODELS = ("demo/swift", "demo/echo", "demo/markdown")


def a_run_answering(owner, *answers: str, models=MODELS) -> Run:
    """A finished run whose columns answered these texts ("" for a column without text)."""
    run = a_finished_run(owner, models=models[: len(answers)])
    for position, text in enumerate(answers):
        run.columns.filter(position=position).update(output_text=text)
    return run


def diff_view(page: str) -> str:
    """The page from the diff itself on (the legend and the form come before it)."""
    assert 'data-testid="diff-view"' in page, "no diff view on the page"
    return page.split('data-testid="diff-view"', 1)[1]


def test_the_owner_sees_the_first_two_answers_compared_word_by_word(alice_client, alice):
    run = a_run_answering(alice, *ANSWERS)

    response = alice_client.get(f"/runs/{run.pk}/diff/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" in html  # without htmx: a page of its own
    assert 'data-mode="inline"' in html
    view = diff_view(html)
    assert '<del><span class="visually-hidden">[deleted: </span>Nile' in view
    assert '<ins><span class="visually-hidden">[inserted: </span>Amazon' in view
    assert "The " in view and " is the longest river." in view
    assert '<option value="0" selected>Column 1 · demo/swift</option>' in html
    assert '<option value="1" selected>Column 2 · demo/echo</option>' in html
    assert '<option value="2">Column 3 · demo/markdown</option>' in html


def test_the_form_picks_the_columns_and_side_by_side(alice_client, alice):
    run = a_run_answering(alice, *ANSWERS)

    response = alice_client.get(f"/runs/{run.pk}/diff/?left=2&right=0&mode=side-by-side")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-mode="side-by-side"' in html
    left = html.split('data-testid="diff-side-left"')[1].split('data-testid="diff-side-right"')[0]
    right = html.split('data-testid="diff-side-right"')[1]
    # Column 3 ("Nile.") has nothing column 1 lacks; column 1 has words around it.
    assert "Column 3 · demo/markdown" in left
    assert re.search(r'<div class="diff-text"[^>]*>Nile\.</div>', left)
    assert "Column 1 · demo/swift" in right and "<del>" not in right
    assert "[inserted: </span>The " in right and "[inserted: </span> is the longest" in right
    assert 'value="side-by-side" data-testid="diff-mode-side-by-side" checked' in html


def test_htmx_gets_the_diff_section_alone(alice_client, alice):
    run = a_run_answering(alice, *ANSWERS)

    response = alice_client.get(f"/runs/{run.pk}/diff/?left=0&right=1", headers=HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert html.lstrip().startswith('<section class="answer-diff" id="answer-diff"')
    assert f'hx-get="/runs/{run.pk}/diff/"' in html and 'hx-select="#diff-view"' in html
    assert "<ins>" in diff_view(html)


def test_the_same_answers_say_so(alice_client, alice):
    run = a_run_answering(alice, "Same words.", "Same words.")

    html = alice_client.get(f"/runs/{run.pk}/diff/").content.decode()

    assert 'data-testid="diff-same"' in html
    assert "<ins>" not in diff_view(html) and "<del>" not in diff_view(html)


def shown_text(pane: str) -> str:
    """What a diff pane reads as, marks and the screen reader's words left out."""
    pane = re.sub(r'<span class="visually-hidden">[^<]*</span>', "", pane)
    return html.unescape(re.sub(r"</?(ins|del)>", "", pane))


def test_answers_are_escaped_never_marked_safe(alice_client, alice):
    left, right = "<b>Bold</b> claim", "<script>alert(1)</script><img src=x onerror=alert(2)>"
    run = a_run_answering(alice, left, right)

    for headers in ({}, HTMX):
        response = alice_client.get(f"/runs/{run.pk}/diff/?mode=side-by-side", headers=headers)
        page = response.content.decode()
        assert "<script>alert" not in page and "<img src=x" not in page and "<b>" not in page
        panes = re.findall(r'<div class="diff-text"[^>]*>(.*?)</div>', page, re.S)
        assert [shown_text(pane) for pane in panes] == [left, right]


def test_long_answers_are_compared_on_their_first_ten_thousand_words_and_say_so(
    alice_client, alice
):
    long = " ".join(f"word{i % 50}" for i in range(10_200))
    run = a_run_answering(alice, long, long + " and then some")

    html = alice_client.get(f"/runs/{run.pk}/diff/").content.decode()

    assert "Both answers are longer than 10000 words" in html
    assert 'data-testid="diff-cut"' in html
    assert "and then some" not in html


def test_one_long_answer_is_named(alice_client, alice):
    long = " ".join(f"word{i % 50}" for i in range(10_200))
    run = a_run_answering(alice, "Short.", long)

    html = alice_client.get(f"/runs/{run.pk}/diff/").content.decode()

    assert "Column 2 is longer than 10000 words" in html


# Bad parameters: a clear message, never a 500.


@pytest.mark.parametrize(
    "query",
    [
        "left=7",
        "right=3",  # column 4 does not exist
        "left=abc",
        "left=²",
        "left=\u0661",  # ARABIC-INDIC DIGIT ONE: int() would read it
        "left=-1",
        "left=1.0",
        "right=" + str(10**30),
        "left=" + "9" * 5000,
        "left=%00",
    ],
)
def test_a_column_that_is_not_an_answer_is_a_clear_400(alice_client, alice, query):
    run = a_run_answering(alice, *ANSWERS)

    response = alice_client.get(f"/runs/{run.pk}/diff/?{query}")

    assert response.status_code == 400
    html = response.content.decode()
    assert "is not a column with an answer" in html
    assert 'data-testid="diff-error"' in html
    assert 'data-testid="diff-left"' in html  # the form to pick again
    assert "9" * 30 not in html  # the value is shown cut short


def test_the_same_column_twice_is_a_400_that_says_so(alice_client, alice):
    run = a_run_answering(alice, *ANSWERS)

    response = alice_client.get(f"/runs/{run.pk}/diff/?left=1&right=1")

    assert response.status_code == 400
    assert "Both sides are column 2: pick two different columns" in response.content.decode()


def test_with_htmx_a_refused_pick_replaces_the_diff_with_its_message(alice_client, alice):
    """htmx swaps no 4xx answer (base.html's responseHandling): the message comes as a 200."""
    run = a_run_answering(alice, *ANSWERS)

    response = alice_client.get(f"/runs/{run.pk}/diff/?left=0&right=0", headers=HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="diff-view"' in html and "Both sides are column 1" in html
    assert 'data-testid="diff-view"' not in html


def test_one_side_left_out_is_the_first_answer_the_other_does_not_take(alice_client, alice):
    run = a_run_answering(alice, *ANSWERS)

    html = alice_client.get(f"/runs/{run.pk}/diff/?left=&right=0").content.decode()

    assert '<option value="1" selected>Column 2 · demo/echo</option>' in html.split("diff-right")[0]
    assert 'data-testid="diff-view"' in html


def test_an_unknown_mode_is_inline(alice_client, alice):
    run = a_run_answering(alice, *ANSWERS)

    response = alice_client.get(f"/runs/{run.pk}/diff/?mode=%3Cscript%3E")

    assert response.status_code == 200
    assert 'data-mode="inline"' in response.content.decode()


def test_only_columns_with_text_are_offered(alice_client, alice):
    run = a_run_answering(alice, "First answer.", "", "Third answer.")
    run.columns.filter(position=1).update(status=RunColumn.Status.ERROR)

    html = alice_client.get(f"/runs/{run.pk}/diff/").content.decode()

    assert "Column 2 ·" not in html
    assert '<option value="2" selected>Column 3 · demo/markdown</option>' in html
    assert alice_client.get(f"/runs/{run.pk}/diff/?right=1").status_code == 400


def test_a_run_with_fewer_than_two_answers_has_nothing_to_compare(alice_client, alice):
    run = a_run_answering(alice, "The only answer.", "  \n")

    page = alice_client.get(f"/runs/{run.pk}/diff/")
    fragment = alice_client.get(f"/runs/{run.pk}/diff/", headers=HTMX)

    assert page.status_code == 200
    assert 'data-testid="diff-none"' in page.content.decode()
    assert fragment.status_code == 200 and fragment.content == b""


def test_a_run_still_streaming_has_nothing_to_compare_yet(alice_client, alice):
    run = a_run(alice)
    run.columns.update(output_text="Partial text so far")

    response = alice_client.get(f"/runs/{run.pk}/diff/")

    assert 'data-testid="diff-none"' in response.content.decode()
    assert alice_client.get(f"/runs/{run.pk}/diff/", headers=HTMX).content == b""


def test_a_blind_run_names_no_model_before_the_reveal(alice_client, alice):
    run = a_run_answering(alice, *ANSWERS[:2])
    Run.objects.filter(pk=run.pk).update(blind=True)

    html = alice_client.get(f"/runs/{run.pk}/diff/").content.decode()

    assert "Column 1 · Model A" in html and "Column 2 · Model B" in html
    assert "demo/swift" not in html and "demo/echo" not in html


# Who may see it: like every run URL, the owner only.


@pytest.mark.parametrize("method", ["get", "post", "put", "delete"])
def test_another_persons_run_is_not_found_whatever_the_method(bob, alice, method):
    run = a_run_answering(alice, *ANSWERS)
    client = Client()
    client.force_login(bob)

    response = getattr(client, method)(f"/runs/{run.pk}/diff/?left=0&right=1")

    assert response.status_code == 404


def test_an_anonymous_visitor_is_sent_to_log_in(alice):
    run = a_run_answering(alice, *ANSWERS)

    response = Client().get(f"/runs/{run.pk}/diff/")

    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_owner_may_only_get_it(alice_client, alice):
    run = a_run_answering(alice, *ANSWERS)

    assert alice_client.post(f"/runs/{run.pk}/diff/").status_code == 405
    assert alice_client.head(f"/runs/{run.pk}/diff/").status_code == 200


# The run page and the share page fetch it.


def test_a_finished_run_page_fetches_the_diff_once_loaded(alice_client, alice, fake):
    run = a_run_answering(alice, *ANSWERS)

    html = alice_client.get(f"/runs/{run.pk}/").content.decode()

    assert f'hx-get="/runs/{run.pk}/diff/" hx-trigger="load"' in html
    assert f'<noscript><p><a href="/runs/{run.pk}/diff/"' in html


def test_a_live_run_page_fetches_the_diff_when_its_stream_is_done(alice_client, alice, fake):
    run = a_run(alice)

    html = alice_client.get(f"/runs/{run.pk}/").content.decode()

    assert f'hx-get="/runs/{run.pk}/diff/" hx-trigger="sse:done"' in html


def test_a_run_of_one_column_offers_no_diff(alice_client, alice, fake):
    run = a_run_answering(alice, "Alone.")

    assert "/diff/" not in alice_client.get(f"/runs/{run.pk}/").content.decode()


def shared_run(owner, *answers: str):
    return sharing.run_share(run=a_run_answering(owner, *answers))


def test_anyone_with_a_shared_runs_link_sees_its_diff(alice):
    share = shared_run(alice, *ANSWERS)

    page = Client().get(f"/s/{share.token}/")
    response = Client().get(f"/s/{share.token}/diff/?left=1&right=0&mode=side-by-side")

    assert f'hx-get="/s/{share.token}/diff/" hx-trigger="load"' in page.content.decode()
    assert response.status_code == 200
    html = response.content.decode()
    assert "[deleted: </span>Amazon" in html and "[inserted: </span>Nile" in html
    assert f'action="/s/{share.token}/diff/"' in html
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["Cache-Control"] == "private, no-store"


def test_a_shared_diff_is_its_snapshot_and_is_not_counted_as_an_opening(alice):
    share = shared_run(alice, *ANSWERS)
    share.run.columns.update(output_text="Changed after sharing")

    html = Client().get(f"/s/{share.token}/diff/", headers=HTMX).content.decode()

    assert "Changed after sharing" not in html and "Amazon" in html
    share.refresh_from_db()
    assert share.open_count == 0


def test_a_shared_diff_escapes_the_answers(alice):
    share = shared_run(alice, "Plain.", "<script>alert(1)</script>")

    page = Client().get(f"/s/{share.token}/diff/").content.decode()

    assert "<script>alert" not in page
    pane = re.search(r'<div class="diff-text"[^>]*>(.*?)</div>', page, re.S).group(1)
    assert shown_text(pane) == "Plain.<script>alert(1)</script>"


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_revoked_or_unknown_link_has_no_diff(alice, method):
    share = shared_run(alice, *ANSWERS)
    sharing.share_revoke(share=share)

    for token in (share.token, "x" * 43, "t" * 5000):
        response = getattr(Client(), method)(f"/s/{token}/diff/")
        assert response.status_code == 404


def test_a_shared_preset_has_no_diff(alice):
    from tests.factories import a_preset

    share = sharing.preset_share(preset=a_preset(alice))

    assert Client().get(f"/s/{share.token}/diff/").status_code == 404


def test_the_shared_diff_is_get_only(alice):
    share = shared_run(alice, *ANSWERS)

    assert Client().post(f"/s/{share.token}/diff/").status_code == 405


def test_the_admin_can_require_login_for_the_shared_diff_too(alice, alice_client, settings):
    share = shared_run(alice, *ANSWERS)
    settings.PLAYGROUND_SHARED_REQUIRE_LOGIN = True

    response = Client().get(f"/s/{share.token}/diff/")

    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert response["Referrer-Policy"] == "no-referrer"
    assert alice_client.get(f"/s/{share.token}/diff/").status_code == 200
