"""The word diff of two answers (playground/judging/diff.py): what is shared, inserted
and deleted, word by word, with every character of both texts kept."""

from itertools import pairwise

import pytest

from playground.judging.diff import (
    MAX_WORDS,
    Segment,
    answer_diff,
    first_words,
    side_by_side,
    word_diff,
)


def texts_of(segments: list[Segment]) -> tuple[str, str]:
    """The left and the right text the segments describe."""
    left = "".join(s.text for s in segments if s.kind != "insert")
    right = "".join(s.text for s in segments if s.kind != "delete")
    return left, right


def test_identical_texts_are_one_shared_segment():
    assert word_diff("The Nile is long.", "The Nile is long.") == [
        Segment("same", "The Nile is long.")
    ]
    assert answer_diff("The Nile is long.", "The Nile is long.").identical


def test_two_empty_texts_have_no_segments():
    assert word_diff("", "") == []
    assert answer_diff("", "").identical


def test_one_word_changed_is_a_deletion_and_an_insertion_and_the_spaces_stay_shared():
    assert word_diff("the cat sat down", "the dog sat down") == [
        Segment("same", "the "),
        Segment("delete", "cat"),
        Segment("insert", "dog"),
        Segment("same", " sat down"),
    ]
    assert not answer_diff("the cat sat", "the dog sat").identical


def test_punctuation_changes_apart_from_its_word():
    assert word_diff("The Nile, then", "The Nile. Then") == [
        Segment("same", "The Nile"),
        Segment("delete", ", then"),
        Segment("insert", ". Then"),
    ]


def test_words_inserted_at_the_start_and_the_end():
    assert word_diff("rivers of Africa", "Three rivers of Africa flow north") == [
        Segment("insert", "Three "),
        Segment("same", "rivers of Africa"),
        Segment("insert", " flow north"),
    ]


def test_words_deleted_at_the_start_and_the_end():
    assert word_diff("Well, the Nile is long. Indeed.", "the Nile is long.") == [
        Segment("delete", "Well, "),
        Segment("same", "the Nile is long."),
        Segment("delete", " Indeed."),
    ]


def test_whitespace_and_newlines_are_kept_exactly():
    left = "  Rivers:\n\n- the Nile\n- the Amazon\t(long)\n"
    right = "  Rivers:\n\n- the Nile\n- the Danube\t(long)\n\n"
    segments = word_diff(left, right)
    assert texts_of(segments) == (left, right)
    assert segments == [
        Segment("same", "  Rivers:\n\n- the Nile\n- the "),
        Segment("delete", "Amazon"),
        Segment("insert", "Danube"),
        Segment("same", "\t(long)"),
        Segment("delete", "\n"),
        Segment("insert", "\n\n"),
    ]


def test_a_word_followed_by_other_whitespace_is_shared_and_only_the_space_changes():
    assert word_diff("one two", "one\ntwo") == [
        Segment("same", "one"),
        Segment("delete", " "),
        Segment("insert", "\n"),
        Segment("same", "two"),
    ]
    assert word_diff(" a", "a") == [Segment("delete", " "), Segment("same", "a")]


def test_adjacent_segments_are_of_different_kinds():
    segments = word_diff("a b c d e f g", "a x c y e z g")
    assert all(one.kind != two.kind for one, two in pairwise(segments))


def test_html_in_an_answer_stays_text_compared_like_any_other():
    """Tags are words and punctuation like any others; escaping them is the page's part."""
    segments = word_diff("<b>bold</b> text", "<script>alert(1)</script> text")
    assert texts_of(segments) == ("<b>bold</b> text", "<script>alert(1)</script> text")
    assert segments[:3] == [
        Segment("same", "<"),
        Segment("delete", "b"),
        Segment("insert", "script"),
    ]
    assert not any("&lt;" in segment.text for segment in segments)


def test_side_by_side_shows_each_text_with_what_it_alone_has():
    sides = side_by_side(word_diff("the cat sat", "the dog sat"))
    assert sides.left == [
        Segment("same", "the "),
        Segment("delete", "cat"),
        Segment("same", " sat"),
    ]
    assert sides.right == [
        Segment("same", "the "),
        Segment("insert", "dog"),
        Segment("same", " sat"),
    ]
    assert answer_diff("the cat sat", "the dog sat").sides == sides


def test_first_words_cuts_after_the_last_word_kept():
    assert first_words("one two  three four", 2) == ("one two", True)
    assert first_words("one two", 2) == ("one two", False)
    assert first_words("one two \n", 2) == ("one two \n", False)
    assert first_words("", 3) == ("", False)


def test_long_answers_are_compared_on_their_first_words_and_say_so():
    long = " ".join(f"w{i}" for i in range(30))
    diff = answer_diff(long, "w0 w1 w2", max_words=10)
    assert diff.left_cut and not diff.right_cut
    left, right = texts_of(diff.segments)
    assert left == " ".join(f"w{i}" for i in range(10))
    assert right == "w0 w1 w2"
    assert diff.max_words == 10


def test_the_bound_is_ten_thousand_words_and_both_answers_may_be_cut():
    words = ["alpha", "beta", "gamma", "delta"]
    text = " ".join(words[i % 4] + str(i % 97) for i in range(MAX_WORDS + 500))
    diff = answer_diff(text, text + " more")
    assert MAX_WORDS == 10_000
    assert diff.left_cut and diff.right_cut
    assert diff.identical
    assert len(texts_of(diff.segments)[0].split()) == MAX_WORDS


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("", "Only the right answers."),
        ("Only the left answers.", ""),
        ("A completely different answer.", "Nothing in common here!"),
        ("x " * 500, "y " * 400 + "x " * 100),
    ],
)
def test_the_segments_give_back_both_texts(left, right):
    assert texts_of(word_diff(left, right)) == (left, right)
