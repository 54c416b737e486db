"""Logins that cannot be spoofed: one comparison key per login, and lookalikes refused.

Two logins are the same when their comparison keys are equal (PRECIS UsernameCaseMapped of RFC
8265, then case folding, in the adapter), and a new login is refused when it only looks like an
existing one (the same skeleton: ``Аdmin`` with a Cyrillic А beside ``Admin``).
"""

from __future__ import annotations

import unicodedata
from typing import Any, Protocol

from application.ports import Repository
from application.queries import MAX_PAGE_SIZE, Query
from domain.errors import Conflict, ValidationFailed
from domain.organisation import Employee, ServiceAccount


class LoginRules(Protocol):
    """How logins are prepared, compared and told apart from lookalikes."""

    def key(self, login: str) -> str:
        """The comparison key of a login; ValueError says why the login is not allowed."""
        ...

    def skeleton(self, key: str) -> str:
        """What a key looks like: two keys with one skeleton are confusable."""
        ...


class CaseFoldedLogins:
    """A standard-library stand-in (NFKC and case folding, no lookalike table) for tests and trials."""

    def key(self, login: str) -> str:
        if any(unicodedata.category(ch)[0] in "CZ" for ch in login):
            raise ValueError("must not contain spaces, invisible or control characters")
        return unicodedata.normalize("NFKC", login).casefold()

    def skeleton(self, key: str) -> str:
        return key


def login_key(rules: LoginRules, login: str) -> str:
    """The login's comparison key, or a 400 naming ``login``."""
    try:
        return rules.key(login)
    except ValueError as exc:
        raise ValidationFailed.field("login", f"not allowed: {exc}") from None


async def all_users(repository: Repository[Any]) -> list[Employee | ServiceAccount]:
    """Every user of one repository (employees or service accounts), page by page."""
    found: list[Employee | ServiceAccount] = []
    while True:
        batch = await repository.find(Query((), limit=MAX_PAGE_SIZE, offset=len(found)))
        found += batch
        if len(batch) < MAX_PAGE_SIZE:
            return found


def refuse_taken_or_lookalike(rules: LoginRules, login: str, others: list[Employee | ServiceAccount]) -> None:
    """409 when one of ``others`` has the same login by the rules, or one that looks like it."""
    key = login_key(rules, login)
    skeleton = rules.skeleton(key)
    for other in others:
        try:
            other_key = rules.key(other.login)
        except ValueError:
            other_key = other.login.casefold()  # stored before these rules: compare as it was
        if other_key == key:
            raise Conflict(f"the login {login!r} is taken")
        if rules.skeleton(other_key) == skeleton:
            raise Conflict(f"the login {login!r} resembles the existing login {other.login!r}")
