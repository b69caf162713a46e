"""`make run` and `make test` keep local.env complete: a new checkout gets both secrets,
an older one gets the one it lacks, and nothing already there changes."""

import stat
import subprocess
import sys

from playground.core.crypto import parse_encryption_keys
from playground.core.localenv import BASE_DIR, defined_names, ensure_local_env


def test_a_new_local_env_gets_both_secrets_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "local.env"

    added = ensure_local_env(path, environ={})

    assert added == ["SECRET_KEY", "PLAYGROUND_ENCRYPTION_KEYS"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    values = dict(line.split("=", 1) for line in path.read_text().splitlines())
    assert len(values["SECRET_KEY"]) >= 50
    assert len(parse_encryption_keys(values["PLAYGROUND_ENCRYPTION_KEYS"])) == 1


def test_an_older_local_env_gets_only_what_it_lacks(tmp_path):
    path = tmp_path / "local.env"
    path.write_text("SECRET_KEY=kept-as-it-was")  # no final newline

    assert ensure_local_env(path, environ={}) == ["PLAYGROUND_ENCRYPTION_KEYS"]
    assert ensure_local_env(path, environ={}) == []

    lines = path.read_text().splitlines()
    assert lines[0] == "SECRET_KEY=kept-as-it-was"
    assert lines[1].startswith("PLAYGROUND_ENCRYPTION_KEYS=") and len(lines) == 2


def test_settings_from_the_environment_or_env_are_not_duplicated(tmp_path):
    path = tmp_path / "local.env"
    operator_env = tmp_path / ".env"
    operator_env.write_text("export PLAYGROUND_ENCRYPTION_KEYS=a:b\n")

    added = ensure_local_env(path, environ={"SECRET_KEY": "x"}, operator_env=operator_env)

    assert added == []
    assert not path.exists()
    assert defined_names(operator_env) == {"PLAYGROUND_ENCRYPTION_KEYS"}


def test_it_runs_with_the_bare_standard_library():
    # -I -S: no site-packages, no user paths; the module must not need Django.
    result = subprocess.run(
        [sys.executable, "-I", "-S", "playground/core/localenv.py", "--new-entry"],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )

    assert len(parse_encryption_keys(result.stdout.strip())) == 1
