"""The layering rules of docs/architecture.md hold: the import contracts in pyproject.toml
(no import cycles, a client and a fake free of Django, no views imported but by the URLs)."""

from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parent.parent


def test_every_import_contract_is_kept(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    status = lint_imports(no_cache=True)
    assert status == 0, capsys.readouterr().out
