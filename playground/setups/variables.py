"""Variables in a prompt and its instructions: `{{name}}` is replaced by the value of
`name`, for one run (the compare page's inputs) or for each case of a dataset.

- A name is letters, digits and `_`, not starting with a digit; spaces inside the braces
  are allowed (`{{ city }}`), as in the template languages people bring prompts from.
- `\\{{` is a literal `{{`: the backslash is dropped and nothing is replaced there.
- Anything else between double braces (`{{ 1x }}`, `{{}}`) is text, left as written.
"""

import re
from collections.abc import Mapping

NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_PLACE = re.compile(r"\\\{\{|\{\{\s*(" + NAME + r")\s*\}\}")
NAME_PATTERN = re.compile(NAME + r"\Z")


def variable_names(*texts: str) -> list[str]:
    """The names the texts use, each once, in the order they first appear."""
    names: dict[str, None] = {}
    for text in texts:
        for match in _PLACE.finditer(text or ""):
            if match.group(1):
                names.setdefault(match.group(1))
    return list(names)


def fill(text: str, values: Mapping[str, str]) -> str:
    """The text with each variable replaced by its value. A variable without a value is
    left as written (the run rules name it before anything runs); a value is inserted
    as it is, never read for variables of its own."""

    def replace(match: re.Match) -> str:
        name = match.group(1)
        if name is None:
            return "{{"
        value = values.get(name)
        return match.group(0) if value is None else str(value)

    return _PLACE.sub(replace, text or "")


def missing_variables(values: Mapping[str, str], *texts: str) -> list[str]:
    """The names the texts use that have no value."""
    return [name for name in variable_names(*texts) if name not in values]
