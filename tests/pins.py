"""The exact pins of pyproject.toml, which the fence modules' tests hold the installed
libraries to."""

import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def pinned(package: str) -> str:
    """The version `package` is pinned to (`package==version`) in the dependencies."""
    dependencies = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    [pin] = [entry for entry in dependencies if entry.startswith(f"{package}==")]
    return pin.removeprefix(f"{package}==")
