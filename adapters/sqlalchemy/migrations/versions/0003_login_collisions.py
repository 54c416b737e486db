"""Reports logins that the PRECIS login rules would now treat as one, or as lookalikes.

Changes nothing: merging or renaming people is a decision for an administrator. Each pair is
logged (and printed) so it can be resolved; both logins keep working meanwhile.

Revision ID: 0003_login_collisions
Revises: 0002
"""

from __future__ import annotations

import logging
from itertools import combinations

import sqlalchemy as sa
from alembic import op
from confusable_homoglyphs.confusables import confusables_data
from precis_i18n import get_profile

revision: str = "0003_login_collisions"
down_revision: str | None = "0002"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")


def _key(login: str) -> str:
    # The rule of adapters/logins (kept here as it stands today: a migration must not change later).
    try:
        return str(get_profile("UsernameCaseMapped").enforce(login)).casefold()
    except UnicodeEncodeError:
        return login.casefold()


def _skeleton(key: str) -> str:
    def lookalike(ch: str) -> str:
        if ch.isascii():
            return ch
        ascii_glyphs = [g["c"] for g in confusables_data.get(ch, ()) if len(g["c"]) == 1 and g["c"].isascii()]
        return str(ascii_glyphs[0]).lower() if ascii_glyphs else ch

    return "".join(lookalike(ch) for ch in key)


def colliding_pairs(logins: list[str]) -> list[tuple[str, str, str]]:
    """(first, second, how) for each pair the rules would refuse side by side."""
    pairs = []
    for first, second in combinations(logins, 2):
        if _key(first) == _key(second):
            pairs.append((first, second, "the same login"))
        elif _skeleton(_key(first)) == _skeleton(_key(second)):
            pairs.append((first, second, "lookalikes"))
    return pairs


def upgrade() -> None:
    connection = op.get_bind()
    logins = [
        row[0]
        for table in ("employees", "service_accounts")
        for row in connection.execute(sa.text(f"SELECT login FROM {table}"))
    ]
    for first, second, how in colliding_pairs(logins):
        message = f"login rules: {first!r} and {second!r} are {how}; rename one (nothing was changed)"
        log.warning(message)
        print(message)


def downgrade() -> None:
    """Nothing to undo: the upgrade only reports."""
