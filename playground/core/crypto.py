"""Secrets at rest: people's own API keys, encrypted with Fernet.

A stored value is `"<key id>:<Fernet token>"`. The id names the encryption key that made
it, so a value made under a key that has been removed fails clearly, and `rotate_keys`
can tell which values still need re-encrypting. The token encrypts a small JSON payload
that carries the owner's id besides the secret: a value copied onto another person's
row does not decrypt.

The encryption keys come from PLAYGROUND_ENCRYPTION_KEYS, `"id2:<key>,id1:<key>"`,
newest first: new values use the first, every listed one can still decrypt.
"""

import json
import re
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from playground.core.localenv import generate_key_entry

__all__ = [
    "KeyUnavailable",
    "decrypt_secret",
    "encrypt_secret",
    "generate_key_entry",
    "needs_rotation",
    "parse_encryption_keys",
    "rotate_secret",
]

KEY_ID = re.compile(r"\A[A-Za-z0-9_-]{1,32}\Z")
_SETTING = "PLAYGROUND_ENCRYPTION_KEYS"
_HOW_TO_FIX = (
    f"Run `make run` once (it adds {_SETTING} to local.env) or set it in the environment, "
    f"as `<id>:<key>` entries separated by commas, newest first; "
    f"`python -m playground.core.localenv --new-entry` prints a new entry."
)


class KeyUnavailable(Exception):
    """A stored secret that cannot be read: damaged, not its owner's, or made under an
    encryption key that is no longer configured. The message never holds key material."""


def parse_encryption_keys(value: str) -> list[tuple[str, str]]:
    """The `(key id, Fernet key)` pairs of the setting, newest first.

    Raises ImproperlyConfigured with the reason; the message names entries by position
    or id and never repeats a key.
    """
    if not value.strip():
        raise ImproperlyConfigured(f"{_SETTING} is not set. {_HOW_TO_FIX}")
    pairs: list[tuple[str, str]] = []
    for number, entry in enumerate(value.split(","), start=1):
        key_id, colon, key = (part.strip() for part in entry.strip().partition(":"))
        if not colon or not key_id or not key:
            raise ImproperlyConfigured(
                f"{_SETTING}: entry {number} is not of the form `<id>:<key>`. {_HOW_TO_FIX}"
            )
        if not KEY_ID.match(key_id):
            raise ImproperlyConfigured(
                f"{_SETTING}: the id of entry {number} must be 1 to 32 letters, digits, "
                f"`-` or `_`. {_HOW_TO_FIX}"
            )
        if any(key_id == seen for seen, _ in pairs):
            raise ImproperlyConfigured(f"{_SETTING}: the id “{key_id}” is used twice.")
        try:
            Fernet(key)
        except ValueError:
            raise ImproperlyConfigured(
                f"{_SETTING}: the key of entry “{key_id}” is not a Fernet key "
                f"(32 random bytes in url-safe base64). {_HOW_TO_FIX}"
            ) from None
        pairs.append((key_id, key))
    return pairs


@lru_cache(maxsize=4)
def _fernets(pairs: tuple[tuple[str, str], ...]) -> dict[str, Fernet]:
    return {key_id: Fernet(key) for key_id, key in pairs}


def _configured() -> tuple[str, dict[str, Fernet]]:
    """The newest key id and every configured Fernet by id (read live, so a test or a
    restart with a new setting takes effect)."""
    pairs = tuple(tuple(pair) for pair in settings.PLAYGROUND_ENCRYPTION_KEYS)
    return pairs[0][0], _fernets(pairs)


def _payload(plaintext: str, owner_id: int) -> bytes:
    return json.dumps({"owner": owner_id, "secret": plaintext}).encode()


def _split(value: str) -> tuple[str, bytes]:
    if not isinstance(value, str):
        raise KeyUnavailable("The stored key is missing.")
    key_id, colon, token = value.partition(":")
    if not colon or not token:
        raise KeyUnavailable("The stored key is damaged.")
    return key_id, token.encode()


def encrypt_secret(plaintext: str, *, owner_id: int) -> str:
    """The secret encrypted under the newest encryption key and bound to its owner."""
    key_id, fernets = _configured()
    token = fernets[key_id].encrypt(_payload(plaintext, owner_id))
    return f"{key_id}:{token.decode()}"


def decrypt_secret(value: str, *, owner_id: int) -> str:
    """The secret of a stored value, which must belong to `owner_id`.

    Raises KeyUnavailable, and only that, whatever is wrong with the value.
    """
    key_id, token = _split(value)
    fernet = _configured()[1].get(key_id)
    if fernet is None:
        raise KeyUnavailable(
            f"The stored key was encrypted with the encryption key “{key_id}”, "
            "which is no longer configured."
        )
    try:
        payload = json.loads(fernet.decrypt(token))
    except (InvalidToken, ValueError):
        raise KeyUnavailable("The stored key is damaged and cannot be decrypted.") from None
    secret = payload.get("secret") if isinstance(payload, dict) else None
    # bool is an int: `True` must not pass for the owner with id 1.
    owner = payload.get("owner") if isinstance(payload, dict) else None
    if type(owner) is not int or owner != owner_id or not isinstance(secret, str):
        raise KeyUnavailable("The stored key does not belong to this account.")
    return secret


def needs_rotation(value: str) -> bool:
    """Whether the value was made under another key than the newest."""
    newest, _ = _configured()
    return value.partition(":")[0] != newest


def rotate_secret(value: str, *, owner_id: int) -> str:
    """The same secret re-encrypted under the newest key (the token keeps its timestamp).

    Raises KeyUnavailable when the value cannot be decrypted with its own key or does
    not belong to `owner_id`.
    """
    decrypt_secret(value, owner_id=owner_id)
    key_id, token = _split(value)
    newest, fernets = _configured()
    if key_id == newest:
        return value
    rotated = MultiFernet([fernets[newest], fernets[key_id]]).rotate(token)
    return f"{newest}:{rotated.decode()}"
