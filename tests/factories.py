"""Stored objects for tests that need them without streaming first."""

from decimal import Decimal

from django.utils import timezone

from playground.crypto import encrypt_secret
from playground.models import ApiKey, Run
from playground.presets import preset_create
from playground.setups import setup_from_values
from playground.upstream import connection_for


def a_setup(prompt="Name three rivers.", models=("demo/swift", "demo/echo"), **parameters):
    return setup_from_values(
        prompt=prompt, instructions="", parameters=parameters, models=list(models)
    )


def a_preset(owner, name="Rivers", **setup):
    return preset_create(owner=owner, name=name, description="Geography", setup=a_setup(**setup))


def a_finished_run(
    owner,
    *,
    prompt="Name three rivers.",
    models=("demo/swift", "demo/echo"),
    output="The **Nile**, the Amazon and the Danube.",
    status=Run.Status.DONE,
):
    """A run as it is stored once every column has answered."""
    from playground.runs import run_create

    run = run_create(owner=owner, setup=a_setup(prompt, models), connection=connection_for(owner))
    run.columns.update(
        status="done",
        output_text=output,
        input_tokens=12,
        output_tokens=9,
        cost=Decimal("0.0000225"),
        ttft_ms=120,
        total_ms=480,
        served_model="demo/swift-2026",
    )
    run.status = status
    run.finished_at = timezone.now()
    run.save()
    return run


def a_stored_key(owner, label: str, key: str, *, default: bool = False) -> ApiKey:
    """A person's key as stored after the check with OpenRouter (without that check)."""
    return ApiKey.objects.create(
        owner=owner,
        label=label,
        secret=encrypt_secret(key, owner_id=owner.pk),
        last_four=key[-4:],
        is_default=default,
    )
