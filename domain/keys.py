"""The one rule for a path key: is it an id or a name?

An id is ASCII digits only, and fits the signed 64-bit integer that storage hands out. Python's
own digit tests say yes to ``²`` (``isdigit``) and to Arabic-Indic ``١٢`` (``isdecimal``, and
``int()`` reads it as 12), and ``int()`` refuses 4,301 digits or more: so the digit test is
asked only of ASCII text.
A key written in ASCII digits is always meant as an id, so digits beyond 64 bits are bad input
(400), not a name to look for.
"""

from __future__ import annotations

from typing import NoReturn

MAX_ID = 2**63 - 1
MAX_ID_DIGITS = len(str(MAX_ID))


def is_id_text(text: str) -> bool:
    """Whether ``text`` is written as an id: one or more ASCII digits, nothing else."""
    return text.isascii() and text.isdigit()


def id_or_name(key: str | int, field: str = "key") -> int | str:
    """An id when the key is ASCII digits, else the key itself, to be read as a name (or a UUID).

    Digits beyond 64 bits are a 400 naming ``field``: no stored thing can have such an id.
    """
    if isinstance(key, int) or not is_id_text(key):
        return key
    return _id_within_range(key, field)


def require_id(text: str, field: str = "key") -> int:
    """The id written in ``text``; a 400 naming ``field`` unless it is ASCII digits within 64 bits."""
    if not is_id_text(text):
        _refuse(field, "must be an id: ASCII digits only")
    return _id_within_range(text, field)


def _id_within_range(digits: str, field: str) -> int:
    significant = digits.lstrip("0") or "0"
    # Length first: converting thousands of digits is what Python refuses (and what costs).
    if len(significant) > MAX_ID_DIGITS or int(significant) > MAX_ID:
        _refuse(field, f"must be an id of at most {MAX_ID}")
    return int(significant)


def _refuse(field: str, message: str) -> NoReturn:
    # Imported here: domain.errors shows ids with is_id_text, so it imports this module.
    from domain.errors import ValidationFailed

    raise ValidationFailed.field(field, message)
