"""The one rule for a path key: is it an id or a name?

An id is ASCII digits only, and fits the signed 64-bit integer that storage hands out. Python's
own digit tests say yes to ``²`` (``isdigit``) and to Arabic-Indic ``١٢`` (``isdecimal``, and
``int()`` reads it as 12), and ``int()`` refuses 4,301 digits or more: so none of them is asked.
"""

from __future__ import annotations

MAX_ID = 2**63 - 1
MAX_ID_DIGITS = len(str(MAX_ID))
ASCII_DIGITS = frozenset("0123456789")


def is_id_text(text: str) -> bool:
    """Whether ``text`` is written as an id: one or more ASCII digits, nothing else."""
    return bool(text) and all(ch in ASCII_DIGITS for ch in text)


def id_or_name(key: str | int) -> int | str:
    """An id when the key is ASCII digits within 64 bits, else the key itself, to be read as a name.

    Digits beyond 64 bits stay text: no stored thing has such an id, so at most a name can match,
    and the caller answers 404 (or 400 where only ids or UUIDs are keys).
    """
    if isinstance(key, int):
        return key
    if is_id_text(key):
        digits = key.lstrip("0") or "0"
        # Length first: converting thousands of digits is what Python refuses (and what costs).
        if len(digits) <= MAX_ID_DIGITS and int(digits) <= MAX_ID:
            return int(digits)
    return key


def require_id_text(text: str, field: str = "key") -> None:
    """400 naming ``field`` unless ``text`` is written as an id (ASCII digits only)."""
    if not is_id_text(text):
        # Imported here: domain.errors shows ids with is_id_text, so it imports this module.
        from domain.errors import ValidationFailed

        raise ValidationFailed.field(field, "must be an id: ASCII digits only")
