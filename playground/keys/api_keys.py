"""People's own OpenRouter keys: checked with OpenRouter, stored encrypted, one default.

The secret is only ever decrypted to be sent to OpenRouter. What OpenRouter says of a
key is stored beside it as plain JSON (money as decimal strings, so nothing is rounded),
after removing any text that repeats part of the key: OpenRouter names an unnamed key
by a masked copy of it ("sk-or-v1-au7...890").

Whenever a person has keys, exactly one is the default: the first key added becomes it,
and deleting the default hands it to the oldest key left.
"""

from decimal import Decimal

from asgiref.sync import async_to_sync
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from playground.core.crypto import KeyUnavailable, encrypt_secret
from playground.models import ApiKey
from playground.openrouter import KeyInfo, OpenRouterError
from playground.upstream.connection import Connection, get_client

__all__ = [
    "KeyUnavailable",
    "api_key_check",
    "api_key_create",
    "api_key_delete",
    "api_key_refresh",
    "api_key_set_default",
    "api_key_successor",
    "is_refusal",
    "key_info_json",
    "shares_key_material",
]

# OpenRouter's masked labels keep a few characters of each end of the key; eight in a
# row of the key in any text is treated as part of the key.
KEY_SLICE_CHARS = 8


def shares_key_material(text: str, key: str) -> bool:
    """Whether `text` holds any KEY_SLICE_CHARS-character run of `key` (or all of a
    shorter key), ignoring case."""
    text, key = text.lower(), key.lower()
    if len(key) <= KEY_SLICE_CHARS:
        return bool(key) and key in text
    return any(
        key[start : start + KEY_SLICE_CHARS] in text
        for start in range(len(key) - KEY_SLICE_CHARS + 1)
    )


def _safe_text(text: str | None, *, key: str, instead: str | None) -> str | None:
    return instead if text and shares_key_material(text, key) else text


def is_refusal(error: OpenRouterError) -> bool:
    """Whether OpenRouter answered that it will not take the key (a 4xx), as opposed to not
    answering, or asking to wait (408, 429), which says nothing of the key."""
    return error.status is not None and 400 <= error.status < 500 and error.status not in (408, 429)


def _money(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


@sensitive_variables("key")
def key_info_json(info: KeyInfo, *, key: str) -> dict:
    """What is stored of a key's details: plain JSON values, nothing of the key itself."""
    return {
        "label": _safe_text(info.label, key=key, instead=f"…{key[-4:]}"),
        "limit": _money(info.limit),
        "limit_remaining": _money(info.limit_remaining),
        "limit_reset": _safe_text(info.limit_reset, key=key, instead=None),
        "usage": _money(info.usage),
        "is_free_tier": info.is_free_tier,
        "expires_at": info.expires_at.isoformat() if info.expires_at else None,
    }


async def _key_info(key: str) -> KeyInfo:
    connection = Connection("user", key, settings.OPENROUTER_BASE_URL)
    return await get_client(connection).key_info(api_key=key)


@sensitive_variables("key")
def api_key_check(*, key: str) -> KeyInfo:
    """Asks OpenRouter about the key (`GET /key`).

    Raises OpenRouterError (see is_refusal to tell a refused key from an unreachable
    OpenRouter). The message never repeats the key.
    """
    try:
        return async_to_sync(_key_info)(key)
    except OpenRouterError as error:
        if shares_key_material(error.message, key):
            raise OpenRouterError(
                kind=error.kind,
                code=error.code,
                status=error.status,
                message="OpenRouter did not accept the key.",
            ) from None
        raise


@sensitive_variables("key")
def api_key_create(*, owner, label: str, key: str, info: KeyInfo) -> ApiKey:
    """Stores a key that OpenRouter accepted (see api_key_check), encrypted for `owner`.

    The first key becomes the default. Raises IntegrityError if `owner` already has a key
    with this label.
    """
    with transaction.atomic():
        has_default = ApiKey.objects.filter(owner=owner, is_default=True).exists()
        return ApiKey.objects.create(
            owner=owner,
            label=label,
            secret=encrypt_secret(key, owner_id=owner.pk),
            last_four=key[-4:],
            is_default=not has_default,
            info=key_info_json(info, key=key),
            info_checked_at=timezone.now(),
        )


@sensitive_variables("key")
def api_key_refresh(*, api_key: ApiKey) -> ApiKey:
    """Asks OpenRouter about the key again and stores the answer.

    When OpenRouter refuses the key, the refusal is stored with the details last known
    (`info["rejected"]`) and the OpenRouterError raised; when it cannot be reached,
    nothing changes. Raises KeyUnavailable when the key cannot be decrypted.
    """
    key = api_key.reveal()
    try:
        info = api_key_check(key=key)
    except OpenRouterError as error:
        if is_refusal(error):
            api_key.info = {**(api_key.info or {}), "rejected": error.message}
            api_key.info_checked_at = timezone.now()
            api_key.save(update_fields=["info", "info_checked_at"])
        raise
    api_key.info = key_info_json(info, key=key)
    api_key.info_checked_at = timezone.now()
    api_key.save(update_fields=["info", "info_checked_at"])
    return api_key


def api_key_set_default(*, api_key: ApiKey) -> ApiKey:
    """Makes this the owner's default key (the one runs use unless told otherwise)."""
    with transaction.atomic():
        # The old default goes first: one default per owner is a database constraint.
        ApiKey.objects.filter(owner_id=api_key.owner_id, is_default=True).exclude(
            pk=api_key.pk
        ).update(is_default=False)
        ApiKey.objects.filter(pk=api_key.pk).update(is_default=True)
    api_key.is_default = True
    return api_key


def api_key_successor(*, api_key: ApiKey) -> ApiKey | None:
    """The key that becomes the default if this one, the default, is deleted."""
    if not api_key.is_default:
        return None
    others = ApiKey.objects.filter(owner_id=api_key.owner_id).exclude(pk=api_key.pk)
    return others.order_by("created_at", "pk").first()


def api_key_delete(*, api_key: ApiKey) -> ApiKey | None:
    """Deletes the key; runs made with it keep their label and hint. If it was the
    default, the owner's oldest remaining key becomes the default, which is returned."""
    with transaction.atomic():
        api_key.refresh_from_db(fields=["is_default"])
        successor = api_key_successor(api_key=api_key)
        api_key.delete()
        if successor is not None:
            successor.is_default = True
            successor.save(update_fields=["is_default"])
    return successor
