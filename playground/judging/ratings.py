"""A leaderboard of models from people's blind votes, as LMArena builds its own.

A vote is a `Battle`. Every battle becomes pairwise outcomes (`pairwise`), and a
Bradley-Terry model fitted to them by maximum likelihood (`fit`) gives each model a rating
on the Elo scale, anchored so that the mean rating is 1000. Resampling the battles
(`bootstrap`) gives each rating a 95% interval; `standings` puts it all in one row per
model and `win_rates` gives the head-to-head figures of the heat map.

Standard library only: no Django and no ORM, so a caller passes plain `Battle`s read from
wherever the votes are stored.
"""

from __future__ import annotations

import math
import random
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

# One virtual tie per model, against a virtual opponent rated at the average (see `fit`).
REGULARIZATION = 1.0

# Enough for the interval ends to hold still: with 5,000 battles among 20 models, another
# seed moves them by 5 points at most, on intervals about 58 wide. A bootstrap of 5,000
# battles among 20 models takes about 2 s of CPU, so a page should keep its standings
# until a vote changes them rather than bootstrap on every request.
ROUNDS = 1000
# Any fixed seed: the same battles then give the same intervals on every page load.
SEED = 0

MEAN_RATING = 1000.0
# The Elo scale: 400 points are a factor of 10 in strength, so a model rated 400 above
# another is expected to win 10 of every 11 battles between them.
_ELO_SCALE = 400.0

# A fit stops after a Newton step that moves no rating by more than a thousandth of a point:
# the steps shrink quadratically, so the next would be far smaller still.
_TOLERANCE = 0.001 / _ELO_SCALE * math.log(10)
# A safety stop only: the fits measured take 3 to 17 steps, the most with a regularization
# a thousand times weaker than the default.
_MAX_STEPS = 100
# Newton's step follows the curvature where it stands, which says little of the likelihood
# far away: where a model's chances are near 0 or 1, the curvature is nearly flat and the
# step can be thousands of points long, and land where the chances round to 0 or 1 exactly
# and the curvature vanishes. So no step moves a rating by more than 2 * 400 / ln 10, 347
# points, about as far as models that are far apart in real battles.
_LONGEST_STEP = 2.0
# Halving a step 40 times leaves a trillionth of it, nothing a rating would show.
_SMALLEST_SCALE = 2**-40


@dataclass(frozen=True, kw_only=True)
class Battle:
    """One person's vote between the models they were shown, in the order shown.

    Exactly one of the three verdicts is given:

    - `winner`: the model they found best. Between two models, it beat the other; among
      more, the person only picked the best, so it beat each of the others and nothing is
      known about how the others compare among themselves.
    - `tie`: all the models were as good as one another.
    - `both_bad`: between two models only, neither was good. It counts as a tie, as LMArena
      counts "both are bad": the vote says the two are alike, not which is better.
    """

    models: tuple[str, ...]
    winner: str | None = None
    tie: bool = False
    both_bad: bool = False

    def __post_init__(self) -> None:
        # No upper bound here: the compare page's own (setups/limits.py) decides how many
        # models a battle shows, and the ratings hold for any number.
        if len(self.models) < 2:
            raise ValueError(f"A battle has two models or more, not {len(self.models)}.")
        if len(set(self.models)) != len(self.models):
            # A vote between a model and itself says nothing of how it compares.
            raise ValueError(f"A battle's models are distinct, not {self.models}.")
        if (self.winner is not None) + self.tie + self.both_bad != 1:
            raise ValueError("A battle has exactly one of winner, tie and both_bad.")
        if self.winner is not None and self.winner not in self.models:
            raise ValueError(f"The winner {self.winner!r} is not one of {self.models}.")
        if self.both_bad and len(self.models) != 2:
            raise ValueError("Only a battle between two models can end with both bad.")


@dataclass(frozen=True, kw_only=True)
class Standing:
    """One row of the leaderboard.

    `battles`, `wins`, `ties` and `losses` count votes, not pairwise outcomes: a best-of-4
    pick is one battle for each of the four models, a win for the one picked and a loss
    for the three others; a tie or "both bad" is a tie for every model in it. `win_rate`
    is (wins + ties / 2) / battles.

    The interval is None only when the model was in none of the resampled rounds, which
    takes very few rounds and very few battles of that model (see `bootstrap`).
    """

    model: str
    rating: float
    ci_low: float | None
    ci_high: float | None
    battles: int
    wins: int
    ties: int
    losses: int
    win_rate: float


def pairwise(battles: Iterable[Battle]) -> list[tuple[str, str, float]]:
    """Each battle's pairwise outcomes, as (model i, model j, score of i against j).

    The score is 1 when i won, 0 when j won and 0.5 for a tie (so "both bad" too). A
    best-of-N pick gives N - 1 outcomes, its winner against each of the others; a tie among
    N gives one for each of the N(N - 1)/2 pairs. Within a battle, i is the model shown
    first of the two.
    """
    pairs = []
    for battle in battles:
        models = battle.models
        for position, first in enumerate(models):
            for second in models[position + 1 :]:
                if battle.winner is None:
                    pairs.append((first, second, 0.5))
                elif battle.winner == first:
                    pairs.append((first, second, 1.0))
                elif battle.winner == second:
                    pairs.append((first, second, 0.0))
    return pairs


def fit(
    pairs: Iterable[tuple[str, str, float]], *, regularization: float = REGULARIZATION
) -> dict[str, float]:
    """Bradley-Terry ratings on the Elo scale, with a mean of 1000.

    The strengths maximize the likelihood of the outcomes, a tie counting as half a win for
    each side. A model that only won (or only lost) has no finite maximum on its own, so
    every model also plays a virtual tie of weight `regularization` against a virtual
    opponent of average strength. That is a prior worth that many battles: it keeps every
    rating finite and is soon outweighed by real votes. With the default of one battle, a
    model that beat average opponents k times and lost none is rated about
    400 * log10(2k + 1) above them: 191 points after one win, 529 after ten. Against
    average opponents, 60 wins in 100 battles rate 70 points above them, less than a point
    lower than without the virtual tie; 90 wins in 100, 374 points, 7 lower.

    It was preferred to a Gaussian prior on the log-strengths for two reasons. Its strength
    reads as a number of battles, and it is evidence of the same kind as the votes, so the
    classic iteration on win counts checks the fit with nothing added. And its pull levels
    off: near the average it acts as a Gaussian prior of standard deviation 347 points
    would, but a model far ahead is held back by at most half a battle's worth, where a
    Gaussian prior would pull harder the farther ahead it is.

    The virtual opponent has strength 1, log-strength 0. The real battles do not change in
    likelihood when every strength is multiplied alike, so the virtual ties alone set the
    level: at the maximum, the models' chances against the virtual opponent average one
    half, which is what makes it average. The final shift to a mean of 1000 moves every
    rating alike.
    """
    index = _Index()
    games, scores = index.tally([(index.summary(pairs), 1)])
    names = list(index.models)
    theta = index.log_strengths(games, scores, [0.0] * len(names), regularization)
    return _ratings(names, theta, range(len(names)))


def bootstrap(
    battles: Sequence[Battle],
    *,
    rounds: int = ROUNDS,
    seed: int = SEED,
    regularization: float = REGULARIZATION,
) -> dict[str, tuple[float, float]]:
    """A 95% interval for each model's rating: the 2.5th and 97.5th percentiles of its
    rating over `rounds` refits, each on as many battles drawn from `battles` with
    replacement.

    Battles are drawn, not pairwise outcomes, because a best-of-N pick is one person's one
    judgement: its N - 1 outcomes stand or fall together. The draws come from
    `random.Random(seed)`, so the same battles give the same intervals on every page load.

    A model that no battle of a round includes gets no rating from that round (each round
    is anchored at a mean of 1000 over the models it has); its interval comes from the
    rounds that include it, and a model that no round includes (only possible with very
    few rounds) is left out.
    """
    if rounds < 1:
        raise ValueError("A bootstrap takes at least one round.")
    if not battles:
        return {}
    index = _Index()
    # Battles with the same outcomes are one kind; a round counts how many of each kind it
    # drew instead of adding up every battle's outcomes one by one.
    kinds: dict[_Summary, int] = {}
    kind_of_battle = [
        kinds.setdefault(index.summary(pairwise([battle])), len(kinds)) for battle in battles
    ]
    summaries = list(kinds)
    names = list(index.models)
    # Every round starts from the fit on all the battles, which is close to its own
    # answer: 3 steps on average instead of 4 from zero with 5,000 battles.
    everything = Counter(kind_of_battle)
    games, scores = index.tally((summaries[kind], count) for kind, count in everything.items())
    start = index.log_strengths(games, scores, [0.0] * len(names), regularization)

    rng = random.Random(seed)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(rounds):
        drawn = Counter(rng.choices(kind_of_battle, k=len(kind_of_battle)))
        games, scores = index.tally((summaries[kind], count) for kind, count in drawn.items())
        present = index.present(games)
        theta = index.log_strengths(games, scores, start, regularization)
        for name, rating in _ratings(names, theta, present).items():
            samples[name].append(rating)
    return {name: _interval(values) for name, values in samples.items() if values}


def standings(
    battles: Sequence[Battle],
    *,
    rounds: int = ROUNDS,
    seed: int = SEED,
    regularization: float = REGULARIZATION,
) -> list[Standing]:
    """The leaderboard: one row per model, the highest rating first (then by name, so
    equal ratings keep one order)."""
    ratings = fit(pairwise(battles), regularization=regularization)
    intervals = bootstrap(battles, rounds=rounds, seed=seed, regularization=regularization)
    wins: Counter[str] = Counter()
    ties: Counter[str] = Counter()
    losses: Counter[str] = Counter()
    for battle in battles:
        for model in battle.models:
            if battle.winner is None:
                ties[model] += 1
            elif battle.winner == model:
                wins[model] += 1
            else:
                losses[model] += 1
    rows = []
    for model, rating in ratings.items():
        count = wins[model] + ties[model] + losses[model]
        ci_low, ci_high = intervals.get(model, (None, None))
        rows.append(
            Standing(
                model=model,
                rating=rating,
                ci_low=ci_low,
                ci_high=ci_high,
                battles=count,
                wins=wins[model],
                ties=ties[model],
                losses=losses[model],
                win_rate=(wins[model] + ties[model] / 2) / count,
            )
        )
    rows.sort(key=lambda row: (-row.rating, row.model))
    return rows


def win_rates(battles: Iterable[Battle]) -> dict[tuple[str, str], float | None]:
    """How often model i beat model j over their pairwise outcomes, ties counting half,
    for every ordered pair of distinct models; None where they never met.

    Two models meet when a battle gives an outcome between them: the two losers of a
    best-of-3 pick have not met in it.
    """
    scores: defaultdict[tuple[str, str], float] = defaultdict(float)
    meetings: Counter[tuple[str, str]] = Counter()
    models: set[str] = set()
    for first, second, score in pairwise(battles):
        models.update((first, second))
        scores[first, second] += score
        scores[second, first] += 1.0 - score
        meetings[first, second] += 1
        meetings[second, first] += 1
    ordered = sorted(models)
    return {
        (i, j): scores[i, j] / meetings[i, j] if meetings[i, j] else None
        for i in ordered
        for j in ordered
        if i != j
    }


# A set of outcomes as a fit adds them up: for each outcome, the position of its pair of
# models (i, j) in `_Index.pairs` and the score of i, the model first seen of the two.
type _Summary = tuple[tuple[int, float], ...]


@dataclass
class _Index:
    """Positions for the models and for the pairs of models that met, in the order first
    seen, so that a fit works on lists instead of dictionaries keyed by name."""

    models: dict[str, int] = field(default_factory=dict)
    pairs: dict[tuple[int, int], int] = field(default_factory=dict)

    def summary(self, outcomes: Iterable[tuple[str, str, float]]) -> _Summary:
        """The outcomes in positions, adding the models and pairs seen for the first time."""
        summary = []
        for first, second, score in outcomes:
            i = self.models.setdefault(first, len(self.models))
            j = self.models.setdefault(second, len(self.models))
            if i < j:
                summary.append((self.pairs.setdefault((i, j), len(self.pairs)), score))
            else:
                summary.append((self.pairs.setdefault((j, i), len(self.pairs)), 1.0 - score))
        # Sorted, so that the same outcomes listed in another order are the same summary.
        return tuple(sorted(summary))

    def tally(self, summaries: Iterable[tuple[_Summary, int]]) -> tuple[list[float], list[float]]:
        """Each pair's number of outcomes and the total score of its first model, over the
        summaries, each counted as many times as it says."""
        games = [0.0] * len(self.pairs)
        scores = [0.0] * len(self.pairs)
        for summary, count in summaries:
            for pair, score in summary:
                games[pair] += count
                scores[pair] += count * score
        return games, scores

    def present(self, games: list[float]) -> list[int]:
        """The models in at least one of these games."""
        pairs = zip(self.pairs, games, strict=True)
        return sorted({model for pair, count in pairs if count for model in pair})

    def log_strengths(
        self, games: list[float], scores: list[float], start: list[float], regularization: float
    ) -> list[float]:
        """The log-strengths that maximize the likelihood with the virtual ties of `fit`,
        by Newton's method with a backtracking line search.

        The log-likelihood is concave and the virtual ties make it strictly so, so it has
        one maximum, and Newton's steps, no longer than `_LONGEST_STEP` and halved until
        they raise the likelihood, reach it from any start: in the cases measured, 3 to 10
        steps from zero with the default regularization, and fewer for a bootstrap round,
        which starts from the fit on all the battles. Zermelo's iteration was tried first
        and took thousands of sweeps: the real battles say nothing of the level of all
        strengths together, which only the weak virtual ties pin, so its steps along that
        direction are tiny; Newton's step takes the curvature of every direction into
        account.

        Models without games are at 0, the virtual opponent's level, whatever their start:
        the virtual tie alone has its maximum there.
        """
        if regularization <= 0:
            raise ValueError("The regularization must be positive to keep every rating finite.")
        pairs = [
            (i, j, count, score)
            for (i, j), count, score in zip(self.pairs, games, scores, strict=True)
            if count
        ]
        playing = {model for i, j, _, _ in pairs for model in (i, j)}
        theta = [old if model in playing else 0.0 for model, old in enumerate(start)]
        value, gradient, curvature = _derivatives(theta, pairs, regularization)
        for _ in range(_MAX_STEPS):
            step = _solve(curvature, gradient)
            if max(map(abs, step), default=0.0) < _TOLERANCE:
                # So short a step needs no line search, and it leaves a distance to the
                # maximum of the order of its square.
                return [old + change for old, change in zip(theta, step, strict=True)]
            scale = min(1.0, _LONGEST_STEP / max(map(abs, step)))
            while True:
                tried = [old + scale * change for old, change in zip(theta, step, strict=True)]
                tried_value, *tried_derivatives = _derivatives(tried, pairs, regularization)
                if tried_value >= value:
                    break
                # A full step can overshoot far from the maximum; a short enough part of it
                # rises, since it points uphill.
                scale /= 2
                if scale < _SMALLEST_SCALE:
                    # Nothing rises: the maximum, to within rounding.
                    return theta
            theta, value, (gradient, curvature) = tried, tried_value, tried_derivatives
        return theta


def _derivatives(
    theta: list[float], pairs: list[tuple[int, int, float, float]], regularization: float
) -> tuple[float, list[float], list[list[float]]]:
    """The log-likelihood of the outcomes and the virtual ties at these log-strengths, its
    gradient, and its Hessian negated (positive definite).

    A pair's n outcomes, of which i scored w, have the log-likelihood
    w * log(p_i / (p_i + p_j)) + (n - w) * log(p_j / (p_i + p_j)), and i is expected to
    score n * p_i / (p_i + p_j) of them. The sum is of terms that are none of them
    positive, so that it rounds no worse than its largest term, and a line search can
    still tell a rise when the strengths are thousands of points apart.
    """
    half = regularization / 2
    value = 0.0
    gradient = []
    curvature = [[0.0] * len(theta) for _ in theta]
    for i, log_strength in enumerate(theta):
        # The virtual opponent's strength is 1, its log-strength 0.
        log_win, log_loss, chance = _chances(log_strength, 0.0)
        value += half * (log_win + log_loss)
        gradient.append(regularization * (0.5 - chance))
        curvature[i][i] = regularization * chance * (1.0 - chance)
    for i, j, count, score in pairs:
        log_win, log_loss, chance = _chances(theta[i], theta[j])
        value += score * log_win + (count - score) * log_loss
        surprise = score - count * chance
        gradient[i] += surprise
        gradient[j] -= surprise
        weight = count * chance * (1.0 - chance)
        curvature[i][i] += weight
        curvature[j][j] += weight
        curvature[i][j] -= weight
        curvature[j][i] -= weight
    return value, gradient, curvature


def _chances(a: float, b: float) -> tuple[float, float, float]:
    """For two sides of log-strengths a and b: the log of a's chance to win, the log of b's,
    and a's chance, without overflow however far a trial step goes."""
    if a >= b:
        tail = math.exp(b - a)
        log_total = math.log1p(tail)
        return -log_total, (b - a) - log_total, 1.0 / (1.0 + tail)
    tail = math.exp(a - b)
    log_total = math.log1p(tail)
    return (a - b) - log_total, -log_total, tail / (1.0 + tail)


def _solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
    """x such that matrix · x = vector, by Gaussian elimination: the matrix is positive
    definite, so every pivot is positive and none needs swapping."""
    size = len(vector)
    rows = [[*row, value] for row, value in zip(matrix, vector, strict=True)]
    for k in range(size):
        pivot = rows[k]
        for i in range(k + 1, size):
            factor = rows[i][k] / pivot[k]
            if factor:
                rows[i] = [value - factor * top for value, top in zip(rows[i], pivot, strict=True)]
    solution = [0.0] * size
    for k in reversed(range(size)):
        known = sum(rows[k][c] * solution[c] for c in range(k + 1, size))
        solution[k] = (rows[k][size] - known) / rows[k][k]
    return solution


def _ratings(names: list[str], theta: list[float], present: Iterable[int]) -> dict[str, float]:
    """The log-strengths of the models present on the Elo scale, shifted to a mean of 1000."""
    elo = {names[i]: _ELO_SCALE * theta[i] / math.log(10) for i in present}
    if not elo:
        return {}
    shift = MEAN_RATING - statistics.fmean(elo.values())
    return {name: rating + shift for name, rating in elo.items()}


def _interval(values: list[float]) -> tuple[float, float]:
    """The 2.5th and 97.5th percentiles, interpolated between the nearest ranks."""
    if len(values) == 1:
        return values[0], values[0]
    # 39 cut points into 40 equal parts: the first is the 2.5th percentile, the last the
    # 97.5th; "inclusive" treats the values as the whole population, as numpy does.
    cuts = statistics.quantiles(values, n=40, method="inclusive")
    return cuts[0], cuts[-1]
