"""Keys at rest: encrypted per owner, unreadable when damaged, moved or orphaned, and
re-encrypted under a new encryption key by `manage.py rotate_keys`."""

import base64
import io
import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command

from playground.core import crypto
from playground.core.crypto import (
    KeyUnavailable,
    decrypt_secret,
    encrypt_secret,
    generate_key_entry,
    needs_rotation,
    parse_encryption_keys,
    rotate_secret,
)
from playground.core.localenv import BASE_DIR
from playground.models import ApiKey

KEY = "sk-or-v1-0123456789abcdef0123456789abcdef"
OLD = Fernet.generate_key().decode()
NEW = Fernet.generate_key().decode()


@pytest.fixture
def old_key_only(settings):
    settings.PLAYGROUND_ENCRYPTION_KEYS = parse_encryption_keys(f"old:{OLD}")
    return settings


def use_new_key(settings):
    settings.PLAYGROUND_ENCRYPTION_KEYS = parse_encryption_keys(f"new:{NEW},old:{OLD}")


def test_a_secret_round_trips_and_is_never_stored_in_clear(old_key_only):
    value = encrypt_secret(KEY, owner_id=1)

    assert value.startswith("old:")
    assert KEY not in value and KEY[9:17] not in value
    assert decrypt_secret(value, owner_id=1) == KEY


def test_the_same_key_encrypted_twice_differs():
    assert encrypt_secret(KEY, owner_id=1) != encrypt_secret(KEY, owner_id=1)


def test_a_flipped_byte_makes_the_key_unavailable():
    key_id, token = encrypt_secret(KEY, owner_id=1).split(":")
    raw = bytearray(base64.urlsafe_b64decode(token))
    raw[40] ^= 1
    damaged = f"{key_id}:{base64.urlsafe_b64encode(bytes(raw)).decode()}"

    with pytest.raises(KeyUnavailable):
        decrypt_secret(damaged, owner_id=1)


def test_a_value_copied_to_another_owner_does_not_decrypt():
    value = encrypt_secret(KEY, owner_id=1)

    with pytest.raises(KeyUnavailable, match="does not belong"):
        decrypt_secret(value, owner_id=2)


@pytest.mark.parametrize("value", ["", "no-id-here", "old:", ":token", "old:%%%", "é:ü", None])
def test_any_malformed_value_is_unavailable_never_another_error(old_key_only, value):
    with pytest.raises(KeyUnavailable):
        decrypt_secret(value, owner_id=1)


def test_a_value_under_a_removed_encryption_key_is_unavailable(settings):
    use_new_key(settings)
    value = encrypt_secret(KEY, owner_id=1)
    settings.PLAYGROUND_ENCRYPTION_KEYS = parse_encryption_keys(f"old:{OLD}")

    with pytest.raises(KeyUnavailable, match=r"“new”.*no longer configured") as caught:
        decrypt_secret(value, owner_id=1)
    assert KEY not in str(caught.value)


def test_a_value_under_an_id_with_another_key_behind_it_is_unavailable(settings):
    settings.PLAYGROUND_ENCRYPTION_KEYS = parse_encryption_keys(f"old:{NEW}")
    value = encrypt_secret(KEY, owner_id=1)
    settings.PLAYGROUND_ENCRYPTION_KEYS = parse_encryption_keys(f"old:{OLD}")

    with pytest.raises(KeyUnavailable):
        decrypt_secret(value, owner_id=1)


def test_rotation_moves_a_value_to_the_newest_key_and_keeps_the_secret(old_key_only):
    value = encrypt_secret(KEY, owner_id=7)
    use_new_key(old_key_only)
    assert needs_rotation(value)

    rotated = rotate_secret(value, owner_id=7)

    assert rotated.startswith("new:") and not needs_rotation(rotated)
    assert decrypt_secret(rotated, owner_id=7) == KEY
    assert rotate_secret(rotated, owner_id=7) == rotated
    old_key_only.PLAYGROUND_ENCRYPTION_KEYS = parse_encryption_keys(f"new:{NEW}")
    assert decrypt_secret(rotated, owner_id=7) == KEY


def test_rotation_refuses_a_value_of_another_owner(old_key_only):
    value = encrypt_secret(KEY, owner_id=7)
    use_new_key(old_key_only)

    with pytest.raises(KeyUnavailable):
        rotate_secret(value, owner_id=8)


def make_keys(owner, count: int) -> list[ApiKey]:
    return [
        ApiKey.objects.create(
            owner=owner,
            label=f"key {n}",
            secret=encrypt_secret(f"{KEY}{n}", owner_id=owner.pk),
            last_four=f"{KEY}{n}"[-4:],
        )
        for n in range(count)
    ]


def rotate_keys() -> str:
    out = io.StringIO()
    call_command("rotate_keys", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_rotate_keys_re_encrypts_every_key_under_the_newest(old_key_only, alice, bob):
    keys = make_keys(alice, 2) + make_keys(bob, 1)
    use_new_key(old_key_only)

    assert "Re-encrypted 3 key(s); 0 already" in rotate_keys()

    for key in keys:
        key.refresh_from_db()
        assert key.secret.startswith("new:")
        assert decrypt_secret(key.secret, owner_id=key.owner_id) == KEY + key.label[-1]
    # Once rotated, the old encryption key can go.
    old_key_only.PLAYGROUND_ENCRYPTION_KEYS = parse_encryption_keys(f"new:{NEW}")
    assert decrypt_secret(keys[0].secret, owner_id=alice.pk) == f"{KEY}0"


@pytest.mark.django_db
def test_rotate_keys_can_be_interrupted_and_run_again(old_key_only, alice, monkeypatch):
    make_keys(alice, 3)
    use_new_key(old_key_only)
    calls = []

    def interrupted(value, *, owner_id):
        if len(calls) == 2:
            raise KeyboardInterrupt
        calls.append(owner_id)
        return rotate_secret(value, owner_id=owner_id)

    monkeypatch.setattr("playground.management.commands.rotate_keys.rotate_secret", interrupted)
    with pytest.raises(KeyboardInterrupt):
        rotate_keys()
    # What was done before the interruption is committed.
    assert [k.secret[:4] for k in ApiKey.objects.order_by("pk")] == ["new:", "new:", "old:"]
    monkeypatch.undo()

    assert "Re-encrypted 1 key(s); 2 already" in rotate_keys()
    assert "Re-encrypted 0 key(s); 3 already" in rotate_keys()
    assert all(decrypt_secret(k.secret, owner_id=alice.pk) for k in ApiKey.objects.all())


@pytest.mark.django_db
def test_rotate_keys_names_keys_it_cannot_decrypt_and_rotates_the_rest(old_key_only, alice):
    good, bad = make_keys(alice, 2)
    ApiKey.objects.filter(pk=bad.pk).update(secret=bad.secret[:-6] + "AAAAAA")
    use_new_key(old_key_only)

    with pytest.raises(CommandError, match=rf"could not be decrypted.*ids {bad.pk}\)"):
        rotate_keys()

    good.refresh_from_db()
    bad.refresh_from_db()
    assert good.secret.startswith("new:") and bad.secret.startswith("old:")


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "is not set"),
        ("   ", "is not set"),
        (NEW, "entry 1 is not of the form"),
        (f"a:{NEW},{OLD}", "entry 2 is not of the form"),
        (f"two words:{NEW}", "the id of entry 1 must be"),
        (f"{'x' * 33}:{NEW}", "the id of entry 1 must be"),
        ("a:not-a-fernet-key", "the key of entry “a” is not a Fernet key"),
        (f"a:{NEW[:-4]}", "the key of entry “a” is not a Fernet key"),
        (f"a:{NEW},a:{OLD}", "the id “a” is used twice"),
    ],
)
def test_a_missing_or_malformed_setting_stops_start_up_with_the_reason(value, reason):
    with pytest.raises(ImproperlyConfigured, match=reason) as caught:
        parse_encryption_keys(value)

    message = str(caught.value)
    assert message.startswith("PLAYGROUND_ENCRYPTION_KEYS")
    assert NEW[:20] not in message and OLD[:20] not in message


def test_the_setting_lists_keys_newest_first_and_takes_a_generated_entry():
    entry = generate_key_entry()

    pairs = parse_encryption_keys(f" {entry} , old:{OLD} ")

    assert [key_id for key_id, _ in pairs] == [entry.split(":")[0], "old"]
    assert pairs[1] == ("old", OLD)
    assert crypto.KEY_ID.match(pairs[0][0])


@pytest.mark.parametrize(
    ("value", "reason"),
    [("", "PLAYGROUND_ENCRYPTION_KEYS is not set"), ("k1:short", "is not a Fernet key")],
)
def test_the_app_does_not_start_without_a_valid_setting(value, reason):
    # The environment comes before local.env, so this overrides the working setting.
    environment = {**os.environ, "PLAYGROUND_ENCRYPTION_KEYS": value}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
    )

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and reason in result.stderr
