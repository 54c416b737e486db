"""What every email carries, whichever provider sends it: both parts, its id and the unsubscribe link."""

from __future__ import annotations

import html

_LAYOUT_HEAD = (
    '<!doctype html><html><head><meta charset="utf-8"></head>'
    '<body style="font-family: sans-serif; line-height: 1.4">'
)
_LAYOUT_TAIL = "</body></html>"


def html_from_text(text: str) -> str:
    """The text, escaped, in a minimal layout: the HTML part of an email written as text only."""
    # Escaped whole, then cut into paragraphs: escaping leaves newlines alone, so the blocks are
    # the same as the text's (a bulk send renders one text per client).
    if "\n" not in text:  # one paragraph, or none
        return (
            _LAYOUT_HEAD + "<p>" + html.escape(text) + "</p>" + _LAYOUT_TAIL
            if text
            else _LAYOUT_HEAD + _LAYOUT_TAIL
        )
    blocks = html.escape(text).split("\n\n")
    paragraphs = "".join(["<p>" + block.replace("\n", "<br>") + "</p>" for block in blocks if block])
    return _LAYOUT_HEAD + paragraphs + _LAYOUT_TAIL


def message_id(uuid: str, domain: str) -> str:
    """An RFC 5322 Message-ID that names the communication, so replies and bounces lead back to it."""
    return f"<{uuid}@{domain}>"


def email_headers(*, uuid: str, domain: str, unsubscribe: str) -> dict[str, str]:
    """Message-ID and the one-click unsubscribe pair of RFC 8058."""
    return {
        "Message-ID": message_id(uuid, domain),
        "List-Unsubscribe": f"<{unsubscribe}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
