"""A person's own OpenRouter keys: add (checked with OpenRouter), list, default, refresh,
delete. A key goes from the browser to the server once, when it is added, and never
back: pages show its label and last four characters."""

from dataclasses import dataclass
from datetime import UTC, datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.debug import sensitive_post_parameters

from playground.keys.api_keys import (
    KeyUnavailable,
    api_key_check,
    api_key_create,
    api_key_delete,
    api_key_refresh,
    api_key_set_default,
    api_key_successor,
    is_refusal,
)
from playground.keys.forms import ApiKeyForm
from playground.models import ApiKey
from playground.openrouter import OpenRouterError
from playground.views.common import refuse_method

TEMPLATE = "playground/keys.html"


@dataclass(frozen=True)
class KeyRow:
    key: ApiKey
    available: bool  # whether the stored secret can still be decrypted

    @property
    def facts(self) -> list[tuple[str, str]]:
        """What OpenRouter last said of the key, as (name, value) lines to show."""
        info = self.key.info or {}
        facts = []
        # An unnamed key's name on OpenRouter is stored as the hint: no news, not shown.
        if info.get("label") and info["label"] != self.key.hint:
            facts.append(("Name on OpenRouter", info["label"]))
        if info.get("limit") is not None:
            left = f"${info.get('limit_remaining') or '0'} of ${info['limit']}"
            reset = info.get("limit_reset")
            facts.append(("Credit left", f"{left}, resets {reset}" if reset else left))
        elif "limit" in info:
            facts.append(("Credit limit", "none"))
        if info.get("usage") is not None:
            facts.append(("Used", f"${info['usage']}"))
        if "is_free_tier" in info:
            facts.append(("Free tier", "yes" if info["is_free_tier"] else "no"))
        if info.get("expires_at"):
            facts.append(("Expires", _date(info["expires_at"])))
        return facts

    @property
    def rejected(self) -> str:
        return (self.key.info or {}).get("rejected", "")


def _date(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return iso


def _get_key(request, key_id: int) -> ApiKey:
    return get_object_or_404(ApiKey, pk=key_id, owner=request.user)


def _rows(owner) -> list[KeyRow]:
    rows = []
    for api_key in ApiKey.objects.filter(owner=owner):
        try:
            api_key.reveal()
        except KeyUnavailable:
            rows.append(KeyRow(api_key, available=False))
        else:
            rows.append(KeyRow(api_key, available=True))
    return rows


def _page(request, form: ApiKeyForm, *, status: int = 200):
    return render(request, TEMPLATE, {"form": form, "rows": _rows(request.user)}, status=status)


@login_required
@sensitive_post_parameters("key")
def key_list(request):
    """The person's keys and the form to add one (POST adds)."""
    if request.method != "POST":
        return _page(request, ApiKeyForm(owner=request.user))
    form = ApiKeyForm(request.POST, owner=request.user)
    if not form.is_valid():
        return _page(request, form, status=400)
    label, key = form.cleaned_data["label"], form.cleaned_data["key"]
    try:
        info = api_key_check(key=key)
    except OpenRouterError as error:
        if is_refusal(error):
            form.add_error("key", error.message)
            return _page(request, form, status=400)
        form.add_error(None, f"The key could not be checked, so it was not saved: {error.message}")
        return _page(request, form, status=502)
    try:
        api_key = api_key_create(owner=request.user, label=label, key=key, info=info)
    except IntegrityError:
        # Another request added a key with this label in the meantime.
        form.add_error("label", "You already have a key with this label.")
        return _page(request, form, status=400)
    default = " It is your default key." if api_key.is_default else ""
    messages.success(request, f"Added “{api_key.label}” {api_key.hint}.{default}")
    return redirect("keys")


@login_required
def key_default(request, key_id: int):
    api_key = _get_key(request, key_id)
    if refused := refuse_method(request, "POST"):
        return refused
    api_key_set_default(api_key=api_key)
    messages.success(request, f"“{api_key.label}” is now your default key.")
    return redirect("keys")


@login_required
def key_refresh(request, key_id: int):
    api_key = _get_key(request, key_id)
    if refused := refuse_method(request, "POST"):
        return refused
    try:
        api_key_refresh(api_key=api_key)
    except KeyUnavailable:
        messages.error(
            request,
            f"“{api_key.label}” cannot be decrypted on this server any more: "
            "delete it and add it again.",
        )
    except OpenRouterError as error:
        messages.error(request, f"“{api_key.label}”: {error.message}")
    else:
        messages.success(request, f"Updated what OpenRouter says of “{api_key.label}”.")
    return redirect("keys")


@login_required
def key_delete(request, key_id: int):
    """GET asks for confirmation; POST deletes."""
    api_key = _get_key(request, key_id)
    if request.method in ("GET", "HEAD"):
        successor = api_key_successor(api_key=api_key)
        context = {"key": api_key, "successor": successor}
        return render(request, "playground/key_delete.html", context)
    if refused := refuse_method(request, "POST"):
        return refused
    successor = api_key_delete(api_key=api_key)
    message = f"Deleted “{api_key.label}” {api_key.hint}."
    if successor is not None:
        message += f" “{successor.label}” is now your default key."
    messages.success(request, message)
    return redirect("keys")
