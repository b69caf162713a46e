import math
import random
from collections import Counter

import pytest

from playground.judging.ratings import (
    Battle,
    bootstrap,
    fit,
    pairwise,
    standings,
    win_rates,
)

# A fixed season among five models: a clear order with upsets, ties, a "both bad", and
# "gemma", which lost no battle.
SEASON = [
    ("claude", "gpt", "claude"),
    ("claude", "gpt", "claude"),
    ("claude", "gpt", "gpt"),
    ("gpt", "claude", "tie"),
    ("claude", "llama", "claude"),
    ("llama", "claude", "claude"),
    ("claude", "llama", "llama"),
    ("gpt", "llama", "gpt"),
    ("llama", "gpt", "gpt"),
    ("gpt", "llama", "bad"),
    ("llama", "mistral", "llama"),
    ("mistral", "llama", "tie"),
    ("mistral", "llama", "mistral"),
    ("mistral", "gpt", "gpt"),
    ("claude", "mistral", "claude"),
    ("gemma", "mistral", "gemma"),
    ("llama", "gemma", "gemma"),
    ("gemma", "gpt", "tie"),
]


def season_battles() -> list[Battle]:
    return [battle_of(first, second, verdict) for first, second, verdict in SEASON]


def battle_of(first: str, second: str, verdict: str) -> Battle:
    match verdict:
        case "tie":
            return Battle(models=(first, second), tie=True)
        case "bad":
            return Battle(models=(first, second), both_bad=True)
        case winner:
            return Battle(models=(first, second), winner=winner)


def reference_ratings(
    games: list[tuple[str, str, str]], *, regularization: float
) -> dict[str, float]:
    """Zermelo's iteration (Hunter 2004's minorization-maximization) on win counts, as in
    the textbooks: each strength becomes the model's wins over the sum of its games with
    each opponent divided by the two strengths added. Ties and "both bad" are half a win
    for each side, and every model has a tie of weight `regularization` with a virtual
    opponent of strength 1."""
    models = sorted({model for first, second, _ in games for model in (first, second)})
    wins = dict.fromkeys(models, regularization / 2)
    meetings: Counter[frozenset[str]] = Counter()
    for first, second, verdict in games:
        meetings[frozenset((first, second))] += 1
        if verdict in (first, second):
            wins[verdict] += 1
        else:
            wins[first] += 0.5
            wins[second] += 0.5
    strength = dict.fromkeys(models, 1.0)
    for _ in range(1_000_000):
        updated = {}
        for model in models:
            denominator = regularization / (strength[model] + 1)
            for pair, count in meetings.items():
                if model in pair:
                    (other,) = pair - {model}
                    denominator += count / (strength[model] + strength[other])
            updated[model] = wins[model] / denominator
        change = max(abs(math.log(updated[m] / strength[m])) for m in models)
        strength = updated
        if change < 1e-13:
            break
    elo = {model: 400 * math.log10(strength[model]) for model in models}
    mean = sum(elo.values()) / len(elo)
    return {model: rating - mean + 1000 for model, rating in elo.items()}


def test_the_ratings_equal_a_plain_bradley_terry_iteration_on_win_counts():
    for regularization in (1.0, 0.1):
        ratings = fit(pairwise(season_battles()), regularization=regularization)
        expected = reference_ratings(SEASON, regularization=regularization)

        assert ratings.keys() == expected.keys()
        for model, rating in expected.items():
            assert ratings[model] == pytest.approx(rating, abs=0.005), model


def test_the_mean_rating_is_1000():
    ratings = fit(pairwise(season_battles()))

    assert sum(ratings.values()) / len(ratings) == pytest.approx(1000, abs=1e-9)


def test_ratings_follow_the_record_and_are_on_the_elo_scale():
    ratings = fit(pairwise(season_battles()))

    assert ratings["claude"] > ratings["gpt"] > ratings["llama"] > ratings["mistral"]
    # Far more battles than the one virtual tie: one model winning 10 of 11 battles
    # against another is rated about 400 points above it.
    lopsided = [Battle(models=("a", "b"), winner="a")] * 1000
    lopsided += [Battle(models=("a", "b"), winner="b")] * 100
    ratings = fit(pairwise(lopsided))
    assert ratings["a"] - ratings["b"] == pytest.approx(400, abs=1)


def test_a_tie_counts_as_half_a_win_for_each():
    tie = Battle(models=("a", "b"), tie=True)

    assert pairwise([tie]) == [("a", "b", 0.5)]
    # One win each and two ties are the same evidence.
    split = [Battle(models=("a", "b"), winner="a"), Battle(models=("a", "b"), winner="b")]
    against_c = [Battle(models=("a", "c"), winner="a"), Battle(models=("c", "b"), winner="c")]
    assert fit(pairwise([tie, tie, *against_c])) == pytest.approx(
        fit(pairwise([*split, *against_c]))
    )
    assert fit(pairwise([tie, tie, *against_c])) != pytest.approx(fit(pairwise(against_c)))


def test_both_bad_counts_as_a_tie():
    both_bad = Battle(models=("a", "b"), both_bad=True)
    tie = Battle(models=("a", "b"), tie=True)
    others = [Battle(models=("a", "c"), winner="a"), Battle(models=("b", "c"), winner="c")]

    assert pairwise([both_bad]) == pairwise([tie])
    assert fit(pairwise([both_bad, *others])) == fit(pairwise([tie, *others]))
    rows = {row.model: row for row in standings([both_bad], rounds=10)}
    assert (rows["a"].wins, rows["a"].ties, rows["a"].losses) == (0, 1, 0)


def test_a_two_model_battle_scores_the_first_model_against_the_second():
    assert pairwise([Battle(models=("a", "b"), winner="a")]) == [("a", "b", 1.0)]
    assert pairwise([Battle(models=("a", "b"), winner="b")]) == [("a", "b", 0.0)]


def test_a_best_of_four_pick_gives_the_winner_three_wins_and_the_others_nothing():
    pick = Battle(models=("a", "b", "c", "d"), winner="c")

    assert pairwise([pick]) == [("a", "c", 0.0), ("b", "c", 0.0), ("c", "d", 1.0)]
    ratings = fit(pairwise([pick]))
    assert ratings["c"] > ratings["a"]
    assert ratings["a"] == pytest.approx(ratings["b"]) == pytest.approx(ratings["d"])


def test_a_tie_among_four_gives_every_pair_half_a_win():
    tie = Battle(models=("a", "b", "c", "d"), tie=True)

    assert pairwise([tie]) == [
        ("a", "b", 0.5),
        ("a", "c", 0.5),
        ("a", "d", 0.5),
        ("b", "c", 0.5),
        ("b", "d", 0.5),
        ("c", "d", 0.5),
    ]


def test_a_model_with_only_wins_gets_a_finite_rating_above_the_others():
    ratings = fit(pairwise(season_battles()))

    assert math.isfinite(ratings["gemma"])
    assert ratings["gemma"] == max(ratings.values())
    alone = fit(pairwise([Battle(models=("a", "b"), winner="a")]))
    assert math.isfinite(alone["a"])
    assert math.isfinite(alone["b"])
    assert alone["a"] > alone["b"]


def test_a_stronger_regularization_pulls_the_ratings_together():
    pairs = pairwise(season_battles())

    def spread(ratings: dict[str, float]) -> float:
        return max(ratings.values()) - min(ratings.values())

    assert (
        spread(fit(pairs, regularization=10))
        < spread(fit(pairs))
        < spread(fit(pairs, regularization=0.1))
    )
    with pytest.raises(ValueError):
        fit(pairs, regularization=0)


def test_a_lopsided_record_with_a_weak_regularization_reaches_the_maximum():
    # a beat b 1000 times and never lost. By symmetry the log-strengths are t and -t, where
    # the derivative of the log-likelihood in t vanishes:
    # 1000 * (1 - sigmoid(2t)) + regularization * (1/2 - sigmoid(t)) = 0.
    regularization = 0.001

    def sigmoid(x: float) -> float:
        return 1 / (1 + math.exp(-x))

    low, high = 0.0, 50.0
    for _ in range(200):
        middle = (low + high) / 2
        slope = 1000 * (1 - sigmoid(2 * middle)) + regularization * (0.5 - sigmoid(middle))
        low, high = (middle, high) if slope > 0 else (low, middle)
    expected_gap = 2 * low * 400 / math.log(10)

    ratings = fit(
        pairwise([Battle(models=("a", "b"), winner="a")] * 1000), regularization=regularization
    )

    assert ratings["a"] - ratings["b"] == pytest.approx(expected_gap, abs=0.005)


def test_symmetric_battles_give_equal_ratings():
    cycle = [
        Battle(models=("a", "b"), winner="a"),
        Battle(models=("b", "c"), winner="b"),
        Battle(models=("c", "a"), winner="c"),
    ]
    mirrored = [
        Battle(models=("a", "b"), winner="a"),
        Battle(models=("b", "a"), winner="b"),
        Battle(models=("a", "b", "c"), tie=True),
    ]

    for battles in (cycle, mirrored):
        ratings = fit(pairwise(battles))
        assert ratings == pytest.approx({"a": 1000, "b": 1000, "c": 1000})


def test_the_same_seed_gives_the_same_intervals():
    battles = season_battles() * 5

    assert bootstrap(battles, rounds=200, seed=7) == bootstrap(battles, rounds=200, seed=7)


def test_another_seed_gives_different_but_close_intervals():
    battles = season_battles() * 5
    first = bootstrap(battles, rounds=400, seed=1)
    second = bootstrap(battles, rounds=400, seed=2)

    assert first != second
    for model, (low, high) in first.items():
        width = high - low
        assert second[model][0] == pytest.approx(low, abs=width / 5), model
        assert second[model][1] == pytest.approx(high, abs=width / 5), model


def test_the_interval_contains_the_rating_and_narrows_with_more_battles():
    few = season_battles()
    many = few * 10
    ratings = fit(pairwise(many))
    intervals = bootstrap(many, rounds=300)
    wide = bootstrap(few, rounds=300)

    assert intervals.keys() == ratings.keys()
    for model, rating in ratings.items():
        low, high = intervals[model]
        assert low < rating < high, model
        assert high - low < wide[model][1] - wide[model][0], model


def test_the_bootstrap_draws_battles_so_a_picks_outcomes_stay_together():
    # The same pairwise outcomes, as best-of-4 picks or as two-model battles: the same
    # ratings, but a pick's three outcomes are drawn together or not at all, which makes
    # the ratings vary more from round to round.
    models = ("a", "b", "c", "d")
    picks = [Battle(models=models, winner=winner) for winner in "aaaaabcd" * 5]
    split = [
        Battle(models=(first, second), winner=first if score == 1.0 else second)
        for first, second, score in pairwise(picks)
    ]
    assert fit(pairwise(split)) == pytest.approx(fit(pairwise(picks)))

    together = bootstrap(picks, rounds=300)
    apart = bootstrap(split, rounds=300)

    for model in models:
        assert together[model][1] - together[model][0] > apart[model][1] - apart[model][0]


def reference_bootstrap(
    battles: list[Battle], *, rounds: int, seed: int, regularization: float = 1.0
) -> dict[str, tuple[float, float]]:
    """The bootstrap as its contract says, slowly: each round fits from scratch the
    battles drawn by `random.Random(seed).choices`; a model's interval runs between the 2.5th
    and 97.5th percentiles of its ratings, interpolated between the nearest ranks."""
    rng = random.Random(seed)
    samples: dict[str, list[float]] = {}
    for _ in range(rounds):
        drawn = rng.choices(battles, k=len(battles))
        for model, rating in fit(pairwise(drawn), regularization=regularization).items():
            samples.setdefault(model, []).append(rating)

    def percentile(values: list[float], q: float) -> float:
        ordered = sorted(values)
        rank = (len(ordered) - 1) * q
        low = math.floor(rank)
        high = min(low + 1, len(ordered) - 1)
        return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)

    return {
        model: (percentile(values, 0.025), percentile(values, 0.975))
        for model, values in samples.items()
    }


def test_the_interval_runs_from_the_2_5th_to_the_97_5th_percentile_of_refits_on_drawn_battles():
    battles = [*season_battles(), Battle(models=("gemma", "claude", "gpt"), winner="claude")]

    intervals = bootstrap(battles, rounds=200, seed=5)

    expected = reference_bootstrap(battles, rounds=200, seed=5)
    assert intervals.keys() == expected.keys()
    for model, (low, high) in expected.items():
        assert intervals[model] == pytest.approx((low, high), abs=0.005), model


def test_a_bootstrap_of_a_few_lopsided_battles_with_a_weak_regularization_fits_every_round():
    # Some rounds leave a model with only wins or only losses, rated thousands of points
    # away, where a fit starting from the ratings of all the battles must go a long way.
    games = [
        ("m4", "m3", "m4"),
        ("m2", "m5", "m2"),
        ("m6", "m2", "m6"),
        ("m4", "m0", "m4"),
        ("m1", "m5", "m1"),
        ("m3", "m0", "m3"),
        ("m2", "m0", "m2"),
        ("m2", "m1", "m2"),
        ("m4", "m6", "m4"),
        ("m1", "m5", "m1"),
        ("m0", "m4", "m0"),
        ("m0", "m2", "m0"),
        ("m6", "m2", "m6"),
    ]
    battles = [battle_of(*game) for game in games]

    intervals = bootstrap(battles, rounds=100, seed=0, regularization=0.004)

    expected = reference_bootstrap(battles, rounds=100, seed=0, regularization=0.004)
    for model, (low, high) in expected.items():
        assert intervals[model] == pytest.approx((low, high), abs=0.005), model


def test_a_model_missing_from_a_round_gets_no_rating_from_it():
    # "c" was in one battle of 21, so about a third of the rounds draw none of its battle.
    battles = [Battle(models=("a", "b"), winner="a")] * 10
    battles += [Battle(models=("a", "b"), winner="b")] * 10
    battles.append(Battle(models=("a", "c"), winner="c"))
    seed = next(seed for seed in range(100) if "c" not in bootstrap(battles, rounds=1, seed=seed))

    intervals = bootstrap(battles, rounds=1, seed=seed)

    # One round: each interval is that round's rating, anchored on a and b alone.
    assert intervals.keys() == {"a", "b"}
    assert intervals["a"][0] == intervals["a"][1]
    assert (intervals["a"][0] + intervals["b"][0]) / 2 == pytest.approx(1000)
    rows = {row.model: row for row in standings(battles, rounds=1, seed=seed)}
    assert (rows["c"].ci_low, rows["c"].ci_high) == (None, None)
    assert rows["a"].ci_low is not None


def test_standings_count_votes_and_rank_by_rating():
    battles = [
        Battle(models=("a", "b"), winner="a"),
        Battle(models=("a", "b"), tie=True),
        Battle(models=("a", "b", "c", "d"), winner="c"),
        Battle(models=("b", "c"), both_bad=True),
    ]

    rows = standings(battles, rounds=50, seed=3)

    assert [row.model for row in rows] == sorted(
        fit(pairwise(battles)), key=lambda model: -fit(pairwise(battles))[model]
    )
    by_model = {row.model: row for row in rows}
    assert (by_model["a"].battles, by_model["a"].wins, by_model["a"].ties) == (3, 1, 1)
    assert by_model["a"].losses == 1
    assert by_model["a"].win_rate == pytest.approx(1.5 / 3)
    assert (by_model["c"].battles, by_model["c"].wins, by_model["c"].ties) == (2, 1, 1)
    assert by_model["c"].win_rate == pytest.approx(0.75)
    assert (by_model["d"].wins, by_model["d"].losses, by_model["d"].win_rate) == (0, 1, 0)
    for row in rows:
        assert row.ci_low <= row.rating <= row.ci_high
    assert rows == standings(battles, rounds=50, seed=3)


def test_win_rates_count_ties_half_and_none_where_models_never_met():
    battles = [
        Battle(models=("a", "b"), winner="a"),
        Battle(models=("b", "a"), winner="a"),
        Battle(models=("a", "b"), tie=True),
        Battle(models=("b", "a"), winner="b"),
        Battle(models=("a", "c", "d"), winner="a"),
    ]

    rates = win_rates(battles)

    assert rates[("a", "b")] == pytest.approx(2.5 / 4)
    assert rates[("b", "a")] == pytest.approx(1.5 / 4)
    assert rates[("a", "c")] == 1.0
    assert rates[("d", "a")] == 0.0
    # The losers of a best-of-3 pick did not meet; nor did b and c.
    assert rates[("c", "d")] is None
    assert rates[("b", "c")] is None
    assert len(rates) == 4 * 3


def test_empty_input_gives_empty_results():
    assert pairwise([]) == []
    assert fit([]) == {}
    assert bootstrap([]) == {}
    assert standings([]) == []
    assert win_rates([]) == {}


@pytest.mark.parametrize(
    "fields",
    [
        {"models": ("a",), "winner": "a"},
        {"models": ("a", "a"), "tie": True},
        {"models": ("a", "b")},
        {"models": ("a", "b"), "winner": "a", "tie": True},
        {"models": ("a", "b"), "winner": "c"},
        {"models": ("a", "b", "c"), "both_bad": True},
    ],
)
def test_a_battle_refuses_what_no_vote_can_say(fields):
    with pytest.raises(ValueError):
        Battle(**fields)
