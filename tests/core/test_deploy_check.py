"""`manage.py check --deploy` with the production settings the README documents (behind an
HTTPS proxy) reports nothing, even at warning level."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

from playground.core.localenv import generate_key_entry

ROOT = Path(__file__).resolve().parents[2]

# The README's "Production" section, as environment variables.
PRODUCTION = {
    "DEBUG": "false",
    "ALLOWED_HOSTS": "play.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://play.example.com",
    "SECURE_PROXY_SSL_HEADER": "true",
    "SECURE_SSL_REDIRECT": "true",
    "SESSION_COOKIE_SECURE": "true",
    "CSRF_COOKIE_SECURE": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "SECURE_HSTS_PRELOAD": "true",
}


def deploy_check(extra: dict[str, str]) -> subprocess.CompletedProcess:
    # Only what a fresh server has: no DJANGO_* or test settings from this process.
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "PLAYGROUND_ENCRYPTION_KEYS": generate_key_entry(),
        **extra,
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_deploy_check_passes_with_the_production_settings():
    result = deploy_check(PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_deploy_check_names_what_is_missing_without_them():
    # The check itself is live: without the HTTPS settings it fails and names them.
    result = deploy_check({"ALLOWED_HOSTS": "play.example.com"})
    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stdout + result.stderr
