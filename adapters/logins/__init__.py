"""Login rules by PRECIS (RFC 8265, ``precis-i18n``) and Unicode's confusables (``confusable-homoglyphs``)."""

from __future__ import annotations

from functools import lru_cache

from confusable_homoglyphs.confusables import confusables_data
from precis_i18n import get_profile

_USERNAME = get_profile("UsernameCaseMapped")


@lru_cache(maxsize=4096)
def _lookalike(ch: str) -> str:
    """The ASCII character that ``ch`` is confusable with, or ``ch`` itself."""
    if ch.isascii():
        return ch
    for glyph in confusables_data.get(ch, ()):
        if len(glyph["c"]) == 1 and glyph["c"].isascii():
            return str(glyph["c"]).lower()
    return ch


class PrecisLoginRules:
    def key(self, login: str) -> str:
        try:
            prepared: str = _USERNAME.enforce(login)
        except UnicodeEncodeError as exc:
            # precis-i18n names the character and the rule it breaks, e.g. DISALLOWED/spaces.
            reason = str(exc.reason).split("/")[-1].replace("_", " ")
            raise ValueError(f"character {exc.object[exc.start]!r} ({reason})") from None
        # UsernameCaseMapped lower-cases; folding too makes "straße" and "STRASSE" one login.
        return prepared.casefold()

    def skeleton(self, key: str) -> str:
        return "".join(_lookalike(ch) for ch in key)
