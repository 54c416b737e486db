"""Checking Basic Auth credentials: who the caller is, the short-lived cache, the login throttle."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta
from typing import Any

import pytest

from adapters.memory.unit_of_work import MemoryUnitOfWorkFactory
from application.authentication import (
    Authenticate,
    AuthenticationFailed,
    CredentialCache,
    LoginThrottle,
    ThrottlePolicy,
    TooManyAttempts,
)
from domain.access import Grant, Permission, Principal, PrincipalKind
from domain.organisation import Employee, Role, ServiceAccount
from tests.support.clock import ManualClock

SOURCE = "10.0.0.1"


class CountingHasher:
    """Readable hashes, and a count of the (in real life slow) verifications."""

    def __init__(self) -> None:
        self.verified = 0

    def hash(self, password: str) -> str:
        return f"hashed:{password}"

    def verify(self, password_hash: str, password: str) -> bool:
        self.verified += 1
        return password_hash == f"hashed:{password}"


def principal(login: str = "ivanov", kind: PrincipalKind = PrincipalKind.EMPLOYEE) -> Principal:
    return Principal(kind=kind, id=1, login=login, grants=())


# -- the throttle ----------------------------------------------------------------------------

LOGIN = "ivanov"


@pytest.fixture
def throttle(clock: ManualClock) -> LoginThrottle:
    return LoginThrottle(
        clock,
        ThrottlePolicy(
            max_failures=3, max_failures_per_source=5, max_failures_per_login=4, window=timedelta(minutes=1)
        ),
    )


def fail(throttle: LoginThrottle, times: int, source: str = SOURCE, login: str = LOGIN) -> None:
    for _ in range(times):
        throttle.begin(source, login).failed()


def test_a_source_and_login_are_refused_after_a_burst_of_failures(throttle: LoginThrottle) -> None:
    fail(throttle, 3)
    with pytest.raises(TooManyAttempts) as refused:
        throttle.begin(SOURCE, LOGIN)
    assert 1 <= refused.value.retry_after <= 60


def test_checks_in_flight_count_before_they_end(throttle: LoginThrottle) -> None:
    in_flight = [throttle.begin(SOURCE, LOGIN) for _ in range(3)]
    with pytest.raises(TooManyAttempts):
        throttle.begin(SOURCE, LOGIN)
    in_flight[0].succeeded()
    throttle.begin(SOURCE, LOGIN).succeeded()  # a success frees its place at once


def test_a_success_records_no_failure(throttle: LoginThrottle) -> None:
    for _ in range(10):
        throttle.begin(SOURCE, LOGIN).succeeded()
    throttle.begin(SOURCE, LOGIN)


def test_a_source_throttled_for_one_login_may_try_another(throttle: LoginThrottle) -> None:
    fail(throttle, 3)
    throttle.begin(SOURCE, "petrov").succeeded()


def test_a_source_spraying_many_logins_meets_the_looser_source_cap(throttle: LoginThrottle) -> None:
    for n in range(5):
        fail(throttle, 1, login=f"user{n}")
    with pytest.raises(TooManyAttempts):
        throttle.begin(SOURCE, "somebody-else")
    throttle.begin("10.0.0.2", "somebody-else")


def test_one_login_guessed_from_many_sources_meets_the_login_cap(throttle: LoginThrottle) -> None:
    for n in range(4):
        fail(throttle, 1, source=f"10.1.0.{n}")
    with pytest.raises(TooManyAttempts):
        throttle.begin("10.2.0.1", LOGIN)
    throttle.begin("10.2.0.1", "petrov")


def test_the_window_slides_failures_leave_it_one_by_one(throttle: LoginThrottle, clock: ManualClock) -> None:
    fail(throttle, 1)  # t = 0
    clock.advance(seconds=20)
    fail(throttle, 1)  # t = 20
    clock.advance(seconds=20)
    fail(throttle, 1)  # t = 40
    clock.advance(seconds=19)
    with pytest.raises(TooManyAttempts) as refused:
        throttle.begin(SOURCE, LOGIN)
    assert refused.value.retry_after == 1
    clock.advance(seconds=1)  # t = 60: the first failure has left the window
    fail(throttle, 1)
    with pytest.raises(TooManyAttempts):
        throttle.begin(SOURCE, LOGIN)


def test_an_attempt_ends_once(throttle: LoginThrottle) -> None:
    attempt = throttle.begin(SOURCE, LOGIN)
    attempt.failed()
    attempt.failed()
    attempt.succeeded()
    fail(throttle, 2)
    with pytest.raises(TooManyAttempts):
        throttle.begin(SOURCE, LOGIN)


def test_a_quiet_key_is_forgotten(throttle: LoginThrottle, clock: ManualClock) -> None:
    fail(throttle, 2)
    clock.advance(minutes=1)
    throttle.begin(SOURCE, LOGIN).succeeded()
    assert throttle._windows == {}


def test_the_default_policy_allows_ten_failures_a_minute(clock: ManualClock) -> None:
    throttle = LoginThrottle(clock)
    fail(throttle, 9)
    throttle.begin(SOURCE, LOGIN).failed()
    with pytest.raises(TooManyAttempts):
        throttle.begin(SOURCE, LOGIN)


# -- the credential cache --------------------------------------------------------------------


@pytest.fixture
def cache(clock: ManualClock) -> CredentialCache:
    return CredentialCache(clock, ttl=timedelta(seconds=60))


def test_a_remembered_check_is_found_until_its_time_is_up(cache: CredentialCache, clock: ManualClock) -> None:
    digest = cache.digest("ivanov", "secret")
    cache.put(digest, principal(), cache.generation("ivanov"))
    clock.advance(seconds=59)
    assert cache.get(digest) == principal()
    clock.advance(seconds=1)
    assert cache.get(digest) is None
    clock.advance(seconds=-30)
    assert cache.get(digest) is None, "an expired entry is dropped, not merely hidden"


def test_the_digest_depends_on_login_and_password_and_hides_them(cache: CredentialCache) -> None:
    digest = cache.digest("ivanov", "secret")
    assert digest == cache.digest("ivanov", "secret")
    assert digest != cache.digest("ivanov", "Secret")
    assert digest != cache.digest("ivanov2", "secret")
    # The separator keeps "ab"+"c" apart from "a"+"bc".
    assert cache.digest("ab", "c") != cache.digest("a", "bc")
    assert b"secret" not in digest and len(digest) == 32


def test_digests_differ_between_caches(clock: ManualClock) -> None:
    assert CredentialCache(clock).digest("a", "b") != CredentialCache(clock).digest("a", "b")


def test_forget_drops_every_check_of_one_login_only(cache: CredentialCache) -> None:
    old, new, other = (
        cache.digest("ivanov", "old"),
        cache.digest("ivanov", "new"),
        cache.digest("petrov", "x"),
    )
    cache.put(old, principal(), cache.generation("ivanov"))
    cache.put(new, principal(), cache.generation("ivanov"))
    cache.put(other, principal("petrov"), cache.generation("petrov"))
    cache.forget("ivanov")
    assert cache.get(old) is None and cache.get(new) is None
    assert cache.get(other) == principal("petrov")


def test_a_full_cache_starts_over_rather_than_growing(clock: ManualClock) -> None:
    cache = CredentialCache(clock, max_entries=2)
    first, second, third = (cache.digest(f"user{i}", "pw") for i in range(3))
    cache.put(first, principal("user0"), cache.generation("user0"))
    cache.put(second, principal("user1"), cache.generation("user1"))
    cache.put(third, principal("user2"), cache.generation("user2"))
    assert cache.get(first) is None and cache.get(second) is None
    assert cache.get(third) == principal("user2")


# -- authenticating --------------------------------------------------------------------------


class World:
    """Storage with one employee, one service account and their roles, and Authenticate over it."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.storage = MemoryUnitOfWorkFactory()
        self.hasher = CountingHasher()
        self.throttle = LoginThrottle(clock, ThrottlePolicy(max_failures=3))
        self.cache = CredentialCache(clock, ttl=timedelta(seconds=60))
        self.authenticate = Authenticate(self.storage, self.hasher, self.throttle, self.cache)

    async def add(self, repository: str, entity: Any) -> Any:
        async with self.storage() as uow:
            added = await getattr(uow, repository).add(entity)
            await uow.commit()
        return added

    def stamps(self) -> dict[str, Any]:
        return {"create_time": self.clock.now(), "update_time": self.clock.now()}

    async def role(self, name: str, *grants: Grant) -> Role:
        role: Role = await self.add("roles", Role(name=name, grants=grants, **self.stamps()))
        return role

    async def employee(self, login: str = "ivanov", **values: Any) -> Employee:
        employee = Employee(
            login=login,
            password_hash=self.hasher.hash(values.pop("password", "secret")),
            first_name="Ivan",
            last_name="Ivanov",
            **values,
            **self.stamps(),
        )
        added: Employee = await self.add("employees", employee)
        return added

    async def account(self, login: str = "crm", **values: Any) -> ServiceAccount:
        account = ServiceAccount(
            name="CRM", login=login, password_hash=self.hasher.hash("token"), **values, **self.stamps()
        )
        added: ServiceAccount = await self.add("service_accounts", account)
        return added

    async def update(self, repository: str, entity: Any) -> None:
        async with self.storage() as uow:
            await getattr(uow, repository).update(entity)
            await uow.commit()


@pytest.fixture
def world(clock: ManualClock) -> World:
    return World(clock)


async def test_an_employee_is_recognised_with_the_grants_of_all_its_roles(world: World) -> None:
    clients = await world.role("Clients", Grant(permission=Permission.MANAGE_CLIENTS))
    stats = await world.role(
        "Stats", Grant(permission=Permission.READ_STATISTICS), Grant(permission=Permission.MANAGE_CLIENTS)
    )
    employee = await world.employee(role_ids=[clients.id, stats.id], department_id=4)
    who = await world.authenticate("ivanov", "secret", SOURCE)
    assert (who.kind, who.id, who.login, who.department_id) == (
        PrincipalKind.EMPLOYEE,
        employee.id,
        "ivanov",
        4,
    )
    assert who.actor == f"employee:{employee.id}"
    assert set(who.grants) == {
        Grant(permission=Permission.MANAGE_CLIENTS),
        Grant(permission=Permission.READ_STATISTICS),
    }
    assert len(who.grants) == 2


async def test_a_service_account_logs_in_with_its_own_roles_and_no_department(world: World) -> None:
    sender = await world.role("Sender", Grant(permission=Permission.SEND_COMMUNICATIONS))
    account = await world.account(role_ids=[sender.id])
    who = await world.authenticate("crm", "token", SOURCE)
    assert (who.kind, who.id, who.department_id) == (PrincipalKind.SERVICE_ACCOUNT, account.id, None)
    assert who.has(Permission.SEND_COMMUNICATIONS) and not who.has(Permission.MANAGE_CLIENTS)


async def test_a_user_without_roles_is_recognised_with_no_grants(world: World) -> None:
    await world.employee()
    assert (await world.authenticate("ivanov", "secret", SOURCE)).grants == ()


async def test_a_role_that_no_longer_exists_grants_nothing(world: World) -> None:
    await world.employee(role_ids=[99])
    assert (await world.authenticate("ivanov", "secret", SOURCE)).grants == ()


@pytest.mark.parametrize(
    ("login", "password"), [("ivanov", "wrong"), ("nobody", "secret"), ("IVANOV", "secret"), ("", "")]
)
async def test_wrong_credentials_fail_without_saying_which_part(
    world: World, login: str, password: str
) -> None:
    await world.employee()
    with pytest.raises(AuthenticationFailed) as failed:
        await world.authenticate(login, password, SOURCE)
    assert failed.value.message == "invalid login or password"


@pytest.mark.parametrize("kind", ["employee", "account"])
async def test_an_inactive_user_cannot_log_in_even_with_the_right_password(world: World, kind: str) -> None:
    if kind == "employee":
        await world.employee(active=False)
        login, password = "ivanov", "secret"
    else:
        await world.account(active=False)
        login, password = "crm", "token"
    with pytest.raises(AuthenticationFailed):
        await world.authenticate(login, password, SOURCE)


async def test_a_successful_check_is_remembered_so_the_slow_hash_runs_once(world: World) -> None:
    await world.employee()
    first = await world.authenticate("ivanov", "secret", SOURCE)
    second = await world.authenticate("ivanov", "secret", SOURCE)
    assert first == second
    assert world.hasher.verified == 1
    world.clock.advance(seconds=61)
    await world.authenticate("ivanov", "secret", SOURCE)
    assert world.hasher.verified == 2


async def test_until_forgotten_a_remembered_check_outlives_a_change_in_storage(world: World) -> None:
    employee = await world.employee()
    await world.authenticate("ivanov", "secret", SOURCE)
    employee.active = False
    await world.update("employees", employee)
    # The use cases that change users call forget(); storage alone does not reach the cache.
    assert (await world.authenticate("ivanov", "secret", SOURCE)).id == employee.id
    world.cache.forget("ivanov")
    with pytest.raises(AuthenticationFailed):
        await world.authenticate("ivanov", "secret", SOURCE)


async def test_failures_are_not_remembered(world: World) -> None:
    await world.employee()
    with pytest.raises(AuthenticationFailed):
        await world.authenticate("ivanov", "wrong", SOURCE)
    with pytest.raises(AuthenticationFailed):
        await world.authenticate("ivanov", "wrong", SOURCE)
    assert world.hasher.verified == 2


async def test_a_burst_of_failures_blocks_that_login_from_that_source_only(world: World) -> None:
    await world.employee()
    await world.employee("petrov")
    for _ in range(3):
        with pytest.raises(AuthenticationFailed):
            await world.authenticate("ivanov", "guess", SOURCE)
    verified = world.hasher.verified
    with pytest.raises(TooManyAttempts):
        await world.authenticate("ivanov", "guess again", SOURCE)
    with pytest.raises(TooManyAttempts):
        await world.authenticate("ivanov", "secret", SOURCE)
    assert world.hasher.verified == verified, "a throttled check does not even reach the hash"
    # The real petrov behind the same address is not locked out by somebody guessing at ivanov.
    assert (await world.authenticate("petrov", "secret", SOURCE)).login == "petrov"
    assert (await world.authenticate("ivanov", "secret", "10.0.0.2")).login == "ivanov"
    world.clock.advance(minutes=1)
    assert (await world.authenticate("ivanov", "secret", SOURCE)).login == "ivanov"


async def test_an_unknown_or_inactive_login_costs_a_hash_like_a_wrong_password(world: World) -> None:
    await world.employee("gone", active=False)
    for login in ("nobody", "gone"):
        before = world.hasher.verified
        with pytest.raises(AuthenticationFailed):
            await world.authenticate(login, "secret", SOURCE)
        assert world.hasher.verified == before + 1, login


async def test_a_parallel_burst_of_different_guesses_reaches_the_hash_only_up_to_the_limit(
    world: World,
) -> None:
    await world.employee()
    outcomes = await asyncio.gather(
        *(world.authenticate("ivanov", f"guess{n}", SOURCE) for n in range(20)), return_exceptions=True
    )
    assert sum(isinstance(o, AuthenticationFailed) for o in outcomes) == 3
    assert sum(isinstance(o, TooManyAttempts) for o in outcomes) == 17
    assert world.hasher.verified == 3


async def test_credentials_already_proven_pass_while_their_source_is_throttled(world: World) -> None:
    await world.employee()
    await world.authenticate("ivanov", "secret", SOURCE)
    for _ in range(3):
        with pytest.raises(AuthenticationFailed):
            await world.authenticate("ivanov", "guess", SOURCE)
    assert (await world.authenticate("ivanov", "secret", SOURCE)).login == "ivanov"


async def test_an_employee_login_wins_over_a_service_account_with_the_same_login(world: World) -> None:
    # The use cases keep logins unique across both; should storage ever hold both, employees come first.
    employee = await world.employee("shared", password="token")
    await world.account("shared")
    who = await world.authenticate("shared", "token", SOURCE)
    assert (who.kind, who.id) == (PrincipalKind.EMPLOYEE, employee.id)


async def test_simultaneous_checks_of_the_same_credentials_share_one_hash(world: World) -> None:
    await world.employee()
    results = await asyncio.gather(*(world.authenticate("ivanov", "secret", SOURCE) for _ in range(5)))
    assert {r.login for r in results} == {"ivanov"}
    assert world.hasher.verified == 1


async def test_simultaneous_identical_guesses_share_one_check_and_count_once(world: World) -> None:
    await world.employee()
    outcomes = await asyncio.gather(
        *(world.authenticate("ivanov", "guess", SOURCE) for _ in range(30)), return_exceptions=True
    )
    assert all(isinstance(o, AuthenticationFailed) for o in outcomes)
    assert world.hasher.verified == 1
    for _ in range(2):
        with pytest.raises(AuthenticationFailed):
            await world.authenticate("ivanov", "other guess", SOURCE)
    with pytest.raises(TooManyAttempts):
        await world.authenticate("ivanov", "secret", SOURCE)


def test_a_check_that_raced_a_password_change_is_not_cached(cache: CredentialCache) -> None:
    digest = cache.digest("ivanov", "old")
    seen = cache.generation("ivanov")  # the login's check read the user here ...
    cache.forget("ivanov")  # ... the password changed meanwhile ...
    cache.put(digest, principal(), seen)  # ... and the check finished with the old password
    assert cache.get(digest) is None


class GatedHasher(CountingHasher):
    """A hasher whose verifications each wait until the test opens their gate, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.started: list[threading.Event] = [threading.Event() for _ in range(8)]
        self.gates: list[threading.Event] = [threading.Event() for _ in range(8)]

    def verify(self, password_hash: str, password: str) -> bool:
        call = self.verified
        ok = super().verify(password_hash, password)
        self.started[call].set()
        self.gates[call].wait(timeout=30)
        return ok

    async def until_started(self, call: int) -> None:
        await asyncio.to_thread(self.started[call].wait, 30)


@pytest.fixture
def gated(world: World) -> GatedHasher:
    hasher = GatedHasher()
    world.hasher = hasher
    world.authenticate = Authenticate(world.storage, hasher, world.throttle, world.cache)
    return hasher


async def test_when_a_remembered_check_expires_a_burst_shares_one_new_hash(world: World) -> None:
    await world.employee()
    await world.authenticate("ivanov", "secret", SOURCE)
    world.clock.advance(seconds=61)
    results = await asyncio.gather(*(world.authenticate("ivanov", "secret", SOURCE) for _ in range(20)))
    assert {r.login for r in results} == {"ivanov"}
    assert world.hasher.verified == 2


async def test_a_request_after_forget_checks_again_instead_of_joining_the_check_in_flight(
    world: World, gated: GatedHasher
) -> None:
    employee = await world.employee()
    before = asyncio.ensure_future(world.authenticate("ivanov", "secret", SOURCE))
    await gated.until_started(0)
    employee.active = False
    await world.update("employees", employee)
    world.cache.forget("ivanov")
    after = asyncio.ensure_future(world.authenticate("ivanov", "secret", SOURCE))
    await gated.until_started(1)  # its own check, against the deactivated user (the decoy hash)
    gated.gates[0].set()
    gated.gates[1].set()
    assert (await before).id == employee.id, "a request that came before the change gets its answer"
    with pytest.raises(AuthenticationFailed):
        await after
    gated.gates[2].set()
    with pytest.raises(AuthenticationFailed):
        await world.authenticate("ivanov", "secret", SOURCE)  # the check before forget was not cached


async def test_an_older_check_ending_leaves_the_newer_one_in_flight_to_join(
    world: World, gated: GatedHasher
) -> None:
    await world.employee()
    older = asyncio.ensure_future(world.authenticate("ivanov", "secret", SOURCE))
    await gated.until_started(0)
    world.cache.forget("ivanov")
    newer = asyncio.ensure_future(world.authenticate("ivanov", "secret", SOURCE))
    await gated.until_started(1)
    gated.gates[0].set()
    await older
    joining = asyncio.ensure_future(world.authenticate("ivanov", "secret", SOURCE))
    await asyncio.sleep(0)
    gated.gates[1].set()
    assert (await newer) == (await joining)
    assert gated.verified == 2, "the request after the older check ended joined the newer one"
    await world.authenticate("ivanov", "secret", SOURCE)
    assert gated.verified == 2, "the newer check, begun after forget, was remembered"


async def test_a_failed_check_in_flight_is_shared_but_not_remembered(
    world: World, gated: GatedHasher
) -> None:
    await world.employee()
    guesses = [asyncio.ensure_future(world.authenticate("ivanov", "guess", SOURCE)) for _ in range(3)]
    await gated.until_started(0)
    gated.gates[0].set()
    outcomes = await asyncio.gather(*guesses, return_exceptions=True)
    assert all(isinstance(o, AuthenticationFailed) for o in outcomes) and gated.verified == 1
    gated.gates[1].set()
    with pytest.raises(AuthenticationFailed):
        await world.authenticate("ivanov", "guess", SOURCE)
    assert gated.verified == 2
