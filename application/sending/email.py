"""What every email carries, whichever provider sends it: both parts, its id and the unsubscribe link."""

from __future__ import annotations

import html


def html_from_text(text: str) -> str:
    """The text, escaped, in a minimal layout: the HTML part of an email written as text only."""
    paragraphs = "".join(
        f"<p>{html.escape(block).replace(chr(10), '<br>')}</p>" for block in text.split("\n\n") if block
    )
    return (
        '<!doctype html><html><head><meta charset="utf-8"></head>'
        f'<body style="font-family: sans-serif; line-height: 1.4">{paragraphs}</body></html>'
    )


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
