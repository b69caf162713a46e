"""One value of a setup as a person types it (text), read and checked as the compare
form's fields read theirs: the same conversions, limits and messages (Django's), so a
file and the page refuse the same values in the same words, without building a form.

Each reader returns the value and the messages of what is wrong with it (none when it
is fine; the value is then None or "" when it is not).
"""

import math
import re
from decimal import Decimal, DecimalException
from typing import Any

from django.core import validators
from django.core.exceptions import ValidationError
from django.utils.translation import gettext

# What Django's number fields take as "not set".
_EMPTY = (None, "", [], (), {})
# Django's IntegerField reads "3.0" as 3.
_WHOLE_DECIMAL = re.compile(r"\.0*\s*$")


def _checked(value: Any, checks: list) -> list[str]:
    """Every check's complaint, as Django's Field.run_validators collects them."""
    if value in _EMPTY:
        return []
    messages = []
    for check in checks:
        try:
            check(value)
        except ValidationError as error:
            messages += error.messages
    return messages


def _range(minimum: Any, maximum: Any) -> list:
    checks = []
    if maximum is not None:
        checks.append(validators.MaxValueValidator(maximum))
    if minimum is not None:
        checks.append(validators.MinValueValidator(minimum))
    return checks


def read_text(value: Any, *, max_length: int | None = None, strip: bool = True):
    """Text as a CharField reads it: stripped, at most `max_length` characters, without
    null characters."""
    text = "" if value in _EMPTY else str(value)
    if strip:
        text = text.strip()
    checks = [validators.MaxLengthValidator(max_length)] if max_length is not None else []
    checks.append(validators.ProhibitNullCharactersValidator())
    return text, _checked(text, checks)


def read_whole_number(value: Any, *, minimum: int | None = None, maximum: int | None = None):
    """A whole number as an IntegerField reads it ("3", "3.0"); None when blank."""
    if value in _EMPTY:
        return None, []
    try:
        number = int(_WHOLE_DECIMAL.sub("", str(value)))
    except (ValueError, TypeError):
        return None, [gettext("Enter a whole number.")]
    messages = _checked(number, _range(minimum, maximum))
    return (None if messages else number), messages


def read_number(value: Any, *, minimum: float | None = None, maximum: float | None = None):
    """A number as a FloatField reads it; None when blank."""
    if value in _EMPTY:
        return None, []
    try:
        number = float(value)
    except (ValueError, TypeError):
        return None, [gettext("Enter a number.")]
    if not math.isfinite(number):
        return None, [gettext("Enter a number.")]
    messages = _checked(number, _range(minimum, maximum))
    return (None if messages else number), messages


def read_decimal(value: Any, *, minimum: int | None = None, max_digits: int, decimal_places: int):
    """A decimal as a DecimalField reads it (exactly, as a Decimal); None when blank."""
    if value in _EMPTY:
        return None, []
    try:
        number = Decimal(str(value))
    except DecimalException:
        return None, [gettext("Enter a number.")]
    if not number.is_finite():
        return None, [gettext("Enter a number.")]
    checks = [*_range(minimum, None), validators.DecimalValidator(max_digits, decimal_places)]
    messages = _checked(number, checks)
    return (None if messages else number), messages


def read_choice(value: Any, choices: tuple[str, ...]):
    """One of `choices` as a ChoiceField reads it (not stripped); "" when blank."""
    text = "" if value in _EMPTY else str(value)
    if text and text not in choices:
        message = gettext(
            "Select a valid choice. %(value)s is not one of the available choices."
        ) % {"value": text}
        return "", [message]
    return text, []


def read_yes_no(value: Any):
    """ "true", "false" or blank, as the column and tool selects send them: True, False
    or None."""
    text, messages = read_choice(value, ("true", "false"))
    return {"": None, "true": True, "false": False}[text], messages
