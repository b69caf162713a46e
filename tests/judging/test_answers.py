"""Which answers a diff compares (playground/judging/answers.py): the request's `left`,
`right` and `mode` read as plain data, with defaults for what is left out."""

import pytest

from playground.judging.answers import Answer, PickRefused, answer_pick, answers_with_text

COLUMNS = [
    Answer(0, "demo/swift", "First."),
    Answer(1, "demo/echo", ""),
    Answer(2, "demo/markdown", "Third."),
    Answer(3, "demo/slow", "Fourth."),
]
ANSWERS = answers_with_text(COLUMNS)


def pick(left=None, right=None, mode=None):
    return answer_pick(ANSWERS, left=left, right=right, mode=mode)


def test_only_columns_with_text_are_answers():
    assert [answer.position for answer in ANSWERS] == [0, 2, 3]
    assert answers_with_text([Answer(0, "m", " \n\t")]) == []


def test_an_answer_is_labelled_by_its_column_number_and_model():
    assert ANSWERS[1].label == "Column 3 · demo/markdown"


def test_the_defaults_are_the_first_two_answers_inline():
    chosen = pick()
    assert (chosen.left.position, chosen.right.position, chosen.mode) == (0, 2, "inline")


def test_a_side_left_out_is_the_first_answer_the_other_side_does_not_take():
    assert pick(left="", right="0").left.position == 2
    assert pick(left="3").right.position == 0


def test_an_unknown_mode_is_inline():
    assert pick(mode="sideways").mode == "inline"
    assert pick(mode="side-by-side").mode == "side-by-side"


@pytest.mark.parametrize(
    "value", ["1", "4", "-1", "x", "²", "\u0661", "0x0", " 0", "0.0", "9" * 400, str(10**30)]
)
def test_a_value_naming_no_answer_is_refused_with_the_value_cut_short(value):
    with pytest.raises(PickRefused, match="is not a column with an answer for the left side"):
        pick(left=value)
    with pytest.raises(PickRefused) as refused:
        pick(right=value)
    assert len(str(refused.value)) < 200


def test_the_same_column_twice_is_refused():
    with pytest.raises(PickRefused, match="Both sides are column 3"):
        pick(left="2", right="2")
