"""Share links: a preset (its latest version, live) or a run (a snapshot frozen when shared).

A shared page shows only what was shared: never the owner's keys, other runs, request
headers or stream events.
"""

from typing import Any

from django.db.models import F
from django.utils import timezone

from playground.models import Preset, Run, Share
from playground.presets.versions import preset_create
from playground.setups.format import setup_from_run
from playground.setups.validation import setup_problems, setup_validate


class NotShareable(Exception):
    """The run has not finished: there is nothing final to share yet."""


def run_snapshot(run: Run) -> dict[str, Any]:
    """The run as its share page shows it: prompt, setup, and every column's answer,
    usage and timings."""
    return {
        "setup": setup_from_run(run),
        "created_at": run.created_at.isoformat(),
        "columns": [
            {
                "model": column.model,
                "served_model": column.served_model,
                "status": column.status,
                "incomplete_reason": column.incomplete_reason,
                "error_message": column.error_message,
                "output_text": column.output_text,
                "reasoning_text": column.reasoning_text,
                "tool_calls": column.tool_calls,
                "usage": {**column.token_counts, "cost": column.cost_number or None},
                "timings": column.timings,
            }
            for column in run.columns.without_stream_record()
        ],
    }


def preset_share(*, preset: Preset) -> Share:
    return Share.objects.create(owner=preset.owner, kind=Share.Kind.PRESET, preset=preset)


def run_share(*, run: Run) -> Share:
    if not run.is_finished:
        raise NotShareable("Only a finished run can be shared: wait for it to end.")
    if run.is_hidden:
        raise NotShareable("A blind run can be shared once you have voted or revealed it.")
    return Share.objects.create(
        owner=run.owner, kind=Share.Kind.RUN, run=run, snapshot=run_snapshot(run)
    )


def active_share(token: str) -> Share | None:
    """The share of a link; None for unknown or revoked links."""
    return (
        Share.objects.select_related("preset").filter(token=token, revoked_at__isnull=True).first()
    )


def share_open(*, token: str) -> Share | None:
    """The active share of a link, counted as opened; None for unknown or revoked links."""
    share = active_share(token)
    if share is None:
        return None
    now = timezone.now()
    Share.objects.filter(pk=share.pk).update(last_opened_at=now, open_count=F("open_count") + 1)
    share.last_opened_at = now
    return share


def share_revoke(*, share: Share) -> None:
    if share.revoked_at is None:
        share.revoked_at = timezone.now()
        share.save(update_fields=["revoked_at"])


def shared_setup(share: Share) -> tuple[str, dict[str, Any]]:
    """The name and setup a share offers to copy into the viewer's presets."""
    if share.kind == Share.Kind.PRESET:
        return share.preset.name, share.preset.latest_version.setup
    setup = share.snapshot["setup"]
    what = "evaluation" if share.kind == Share.Kind.EVALUATION else "run"
    return f"Shared {what}: {setup['prompt'][:60]}", setup


class SharedSetupInvalid(ValueError):
    """The shared setup does not pass the checks a setup is held to (a limit lowered
    since it was shared): nothing is copied."""


def shared_fork(*, share: Share, owner) -> Preset:
    """Copies what a link shares into the viewer's own presets, as the checks of a setup
    from outside leave it. Raises SharedSetupInvalid."""
    name, shared = shared_setup(share)
    setup, errors = setup_validate(shared)
    if setup is None:
        raise SharedSetupInvalid(setup_problems(errors))
    description = share.preset.description if share.kind == Share.Kind.PRESET else ""
    return preset_create(
        owner=owner, name=name, description=description, setup=setup, note="Copied from a link"
    )
