"""`/leaderboard/`: models ranked by people's votes on blind runs: the person's own, or
everyone's on this server (aggregates only), within a date range; the battles as CSV."""

import csv
import datetime
import io

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header

from playground.judging.leaderboard import battles_of, board, heat_map, votes_in
from playground.views.common import refuse_method

SCOPES = ("mine", "everyone")


def _filters(request) -> tuple[str, datetime.date | None, datetime.date | None, list[str]]:
    scope = request.GET.get("scope", "mine")
    problems = []
    if scope not in SCOPES:
        scope = "mine"
    dates = []
    for name in ("from", "to"):
        text = request.GET.get(name, "").strip()
        try:
            dates.append(datetime.date.fromisoformat(text) if text else None)
        except ValueError:
            problems.append(f"“{text[:40]}” is not a date (YYYY-MM-DD): the range ignores it.")
            dates.append(None)
    return scope, dates[0], dates[1], problems


def _votes(request, scope, since, until):
    return votes_in(owner=request.user if scope == "mine" else None, since=since, until=until)


@login_required
def leaderboard(request):
    if refused := refuse_method(request, "GET"):
        return refused
    scope, since, until, problems = _filters(request)
    votes = _votes(request, scope, since, until)
    key = f"{scope}:{request.user.pk if scope == 'mine' else ''}:{since}:{until}"
    made = board(votes, scope=key)
    context = {
        "board": made,
        "heat": heat_map(made),
        "scope": scope,
        "since": since.isoformat() if since else "",
        "until": until.isoformat() if until else "",
        "problems": problems,
        "query": request.GET.urlencode(),
    }
    return render(request, "playground/judging/leaderboard.html", context)


@login_required
def leaderboard_battles(request):
    """The battles behind the page, one line each: when, the models in their labels'
    order, the vote and the model it picked. Everyone's carries no run and no prompt."""
    if refused := refuse_method(request, "GET"):
        return refused
    scope, since, until, _ = _filters(request)
    out = io.StringIO()
    writer = csv.writer(out)
    mine = scope == "mine"
    writer.writerow(["voted_at", "models", "vote", "winner", *(["run"] if mine else [])])
    for fought in battles_of(_votes(request, scope, since, until)):
        battle = fought.battle
        vote = "both bad" if battle.both_bad else "tie" if battle.tie else f"best: {fought.choice}"
        row = [fought.voted_at.isoformat(), " | ".join(battle.models), vote, battle.winner or ""]
        writer.writerow(row + ([fought.run_id] if mine else []))
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, f"battles-{scope}.csv")
    return response
