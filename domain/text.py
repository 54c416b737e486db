"""The one rule for stored text: no NUL and no other control character, but tab and line breaks.

PostgreSQL cannot store NUL in text, and a value holding one could not be found again through
its own filter; other control characters are invisible in every screen that shows the value.
Carriage return is allowed with line feed, since CRLF is how many systems write a line break.
"""

from __future__ import annotations

import re

FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
RULE = "must not contain NUL or other control characters (tab and line breaks are fine)"


def has_control_characters(text: str) -> bool:
    """Whether ``text`` breaks the text rule."""
    return FORBIDDEN.search(text) is not None
