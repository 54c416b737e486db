"""Who is calling: Basic Auth credentials checked against employees and service accounts.

A slow password hash is the point of argon2, and it would also cap the API at a few dozen
requests a second if every call paid it. So a successful check is remembered for a short
while, keyed by a digest of the credentials (never the password itself); failed checks are
counted by the login throttle (``application.login_throttle``) and a burst of them is refused
before any hash runs. An unknown or inactive login costs one hash too, so that timing does not
tell which logins exist.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Coroutine
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from application.login_throttle import Attempt, LoginThrottle, ThrottlePolicy, TooManyAttempts
from application.ports import Clock, PasswordHasher, UnitOfWork, UnitOfWorkFactory
from application.searches import EmployeeFields, ServiceAccountFields
from domain.access import Principal, PrincipalKind, merge_grants
from domain.errors import DomainError
from domain.organisation import Employee, ServiceAccount


class AuthenticationFailed(DomainError):
    """Unknown login, wrong password or inactive user (HTTP 401). Says no more than that."""

    def __init__(self) -> None:
        super().__init__("invalid login or password")


class CredentialCache:
    """Recently verified logins, so each request need not hash the password again.

    A check in flight is kept too, so that requests arriving together with the same credentials
    (a client opening 64 connections at once, or a burst when an entry expires) share one slow hash.
    """

    def __init__(
        self, clock: Clock, ttl: timedelta = timedelta(seconds=60), max_entries: int = 10_000
    ) -> None:
        self._clock = clock
        self._ttl = ttl
        self._max = max_entries
        self._key = os.urandom(32)
        self._entries: dict[bytes, tuple[datetime, Principal]] = {}
        self._generations: dict[str, int] = {}
        self._flights: dict[bytes, tuple[str, asyncio.Future[Principal | None]]] = {}

    def digest(self, login: str, password: str) -> bytes:
        # Keyed BLAKE2b: a MAC in one call, so the per-request cache lookup stays cheap.
        return hashlib.blake2b(f"{login}\0{password}".encode(), key=self._key, digest_size=32).digest()

    def get(self, digest: bytes) -> Principal | None:
        entry = self._entries.get(digest)
        if entry is None:
            return None
        if entry[0] <= self._clock.now():
            del self._entries[digest]
            return None
        return entry[1]

    def generation(self, login: str) -> int:
        """How many times the login was forgotten: a check read before a change must not be cached."""
        return self._generations.get(login, 0)

    def put(self, digest: bytes, principal: Principal, generation: int) -> None:
        if generation != self.generation(principal.login):
            return  # the user changed while we were checking: the next request checks again
        if len(self._entries) >= self._max:
            self._entries.clear()
        self._entries[digest] = (self._clock.now() + self._ttl, principal)

    def in_flight(self, digest: bytes) -> asyncio.Future[Principal | None] | None:
        """The check of these credentials still running, whose outcome a request may await."""
        flight = self._flights.get(digest)
        return flight[1] if flight is not None else None

    def start(
        self, digest: bytes, login: str, check: Coroutine[Any, Any, Principal | None]
    ) -> asyncio.Future[Principal | None]:
        """Runs ``check`` as the one check in flight of these credentials; a principal it proves is
        remembered (None, an error or a cancellation is not), unless the login changed meanwhile."""
        flight = asyncio.ensure_future(check)
        self._flights[digest] = (login, flight)
        flight.add_done_callback(partial(self._landed, digest, self.generation(login)))
        return flight

    def _landed(self, digest: bytes, generation: int, flight: asyncio.Future[Principal | None]) -> None:
        current = self._flights.get(digest)
        if current is not None and current[1] is flight:  # not a newer check begun after a forget
            del self._flights[digest]
        if flight.cancelled() or flight.exception() is not None:
            return
        principal = flight.result()
        if principal is not None:
            self.put(digest, principal, generation)

    def forget(self, login: str) -> None:
        """Drops every cached check of a login, after its password, roles or status changed.

        A check in flight is dropped too: requests arriving from now on check again instead of
        awaiting an answer read before the change (those already waiting get it, as if earlier).
        """
        self._generations[login] = self.generation(login) + 1
        self._entries = {k: v for k, v in self._entries.items() if v[1].login != login}
        self._flights = {k: v for k, v in self._flights.items() if v[0] != login}


class Authenticate:
    """Checks Basic Auth credentials and returns the principal with its grants."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        hasher: PasswordHasher,
        throttle: LoginThrottle,
        cache: CredentialCache,
    ) -> None:
        self._uow_factory = uow_factory
        self._hasher = hasher
        self._throttle = throttle
        self._cache = cache
        # A hash of a password nobody knows: verified against when the login is unknown or inactive.
        self._decoy_hash = hasher.hash(os.urandom(16).hex())

    async def __call__(self, login: str, password: str, source: str) -> Principal:
        digest = self._cache.digest(login, password)
        cached = self._cache.get(digest)
        if cached is not None:
            return cached
        # Single flight: requests with the same unproven credentials share the cache's one check in
        # flight. The throttle counts that one check, from its start: a repeated guess tells nothing new.
        flight = self._cache.in_flight(digest)
        if flight is None:
            attempt = self._throttle.begin(source, login)
            flight = self._cache.start(digest, login, self._verify(login, password))
            flight.add_done_callback(partial(_settle, attempt))
        # Shielded: a request that goes away does not cancel the check the others await.
        principal = await asyncio.shield(flight)
        if principal is None:
            raise AuthenticationFailed()
        return principal

    async def _verify(self, login: str, password: str) -> Principal | None:
        async with self._uow_factory(read_only=True) as uow:
            found = await self._load(uow, login)
        if found is None:
            await asyncio.to_thread(self._hasher.verify, self._decoy_hash, password)
            return None
        user, principal = found
        # The hash is slow on purpose: run it beside the event loop, not on it.
        if not await asyncio.to_thread(self._hasher.verify, user.password_hash, password):
            return None
        return principal

    async def _load(self, uow: UnitOfWork, login: str) -> tuple[Employee | ServiceAccount, Principal] | None:
        user: Employee | ServiceAccount | None = await uow.employees.first(EmployeeFields.login.eq(login))
        kind = PrincipalKind.EMPLOYEE
        if user is None:
            user = await uow.service_accounts.first(ServiceAccountFields.login.eq(login))
            kind = PrincipalKind.SERVICE_ACCOUNT
        if user is None or not user.active:
            return None
        assert user.id is not None
        roles = await uow.roles.get_many(user.role_ids)
        return user, Principal(
            kind=kind,
            id=user.id,
            login=user.login,
            grants=merge_grants(role.grants for role in roles.values()),
            department_id=user.department_id if isinstance(user, Employee) else None,
        )


def _settle(attempt: Attempt, done: asyncio.Future[Principal | None]) -> None:
    if not done.cancelled() and done.exception() is None and done.result() is not None:
        attempt.succeeded()
    else:
        attempt.failed()  # a check that did not prove the password counts against it


__all__ = [
    "Authenticate",
    "AuthenticationFailed",
    "CredentialCache",
    "LoginThrottle",
    "ThrottlePolicy",
    "TooManyAttempts",
]
