"""The machine's own secrets in `local.env`: Django's SECRET_KEY and the encryption key
for people's stored API keys, generated once and never committed.

Standard library only: `make` runs it with the system Python, before the virtualenv is
ready and without Django (`python -m playground.core.localenv`).

    python -m playground.core.localenv            # add whichever setting local.env lacks
    python -m playground.core.localenv --new-entry # print a new PLAYGROUND_ENCRYPTION_KEYS entry
"""

import argparse
import base64
import os
import re
import secrets
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
_DEFINITION = re.compile(r"\A(?:export )?([A-Za-z_0-9]+)=")


def generate_key_entry() -> str:
    """A new `<key id>:<Fernet key>` entry; the id is the date plus a random suffix, so
    the entries in PLAYGROUND_ENCRYPTION_KEYS say when each was made and never clash."""
    key_id = f"{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(2)}"
    # A Fernet key is 32 random bytes in url-safe base64 (cryptography's generate_key).
    return f"{key_id}:{base64.urlsafe_b64encode(os.urandom(32)).decode()}"


GENERATORS = {
    "SECRET_KEY": lambda: secrets.token_urlsafe(50),
    "PLAYGROUND_ENCRYPTION_KEYS": generate_key_entry,
}


def defined_names(path: Path) -> set[str]:
    """The names an env file sets (the line format django-environ reads)."""
    if not path.is_file():
        return set()
    return {
        match.group(1)
        for line in path.read_text().splitlines()
        if (match := _DEFINITION.match(line))
    }


def ensure_local_env(
    path: Path, *, environ: Mapping[str, str] | None = None, operator_env: Path | None = None
) -> list[str]:
    """Appends each generated setting that is set nowhere yet (not in the environment,
    the operator's `.env` or `path`) to `path`, readable by its owner only. Returns the
    names added."""
    environ = os.environ if environ is None else environ
    already = defined_names(path) | set(environ)
    if operator_env is not None:
        already |= defined_names(operator_env)
    missing = [name for name in GENERATORS if name not in already]
    if not missing:
        return []
    old_umask = os.umask(0o077)
    try:
        existing = path.read_text() if path.is_file() else ""
        with open(path, "a") as env_file:
            if existing and not existing.endswith("\n"):
                env_file.write("\n")
            for name in missing:
                env_file.write(f"{name}={GENERATORS[name]()}\n")
    finally:
        os.umask(old_umask)
    return missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--new-entry",
        action="store_true",
        help="print a new PLAYGROUND_ENCRYPTION_KEYS entry (for rotation) and change nothing",
    )
    args = parser.parse_args(argv)
    if args.new_entry:
        print(generate_key_entry())
        return 0
    added = ensure_local_env(BASE_DIR / "local.env", operator_env=BASE_DIR / ".env")
    if added:
        print(f"Added {' and '.join(added)} to local.env.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
