"""A fresh install's defaults, and how ADMIN_PASSWORD treats the zero user."""

from __future__ import annotations

from adapters.memory.unit_of_work import MemoryUnitOfWorkFactory
from adapters.security import Argon2PasswordHasher
from application.bootstrap import Bootstrap
from application.searches import EmployeeFields
from tests.support.clock import ManualClock


async def admin_hash(uow_factory: MemoryUnitOfWorkFactory) -> str:
    async with uow_factory(read_only=True) as uow:
        admin = await uow.employees.first(EmployeeFields.login.eq("Admin"))
    return admin.password_hash


async def test_running_it_again_adds_nothing(clock: ManualClock, hasher: Argon2PasswordHasher) -> None:
    bootstrap = Bootstrap(MemoryUnitOfWorkFactory(), clock, hasher)
    first = await bootstrap()
    again = await bootstrap()
    assert "user Admin" in first.created and first.default_password_in_use
    assert again.created == () and again.default_password_in_use


async def test_admin_password_set_later_replaces_the_default_one(
    clock: ManualClock, hasher: Argon2PasswordHasher
) -> None:
    uows = MemoryUnitOfWorkFactory()
    await Bootstrap(uows, clock, hasher)()
    report = await Bootstrap(uows, clock, hasher)("s3cret-pass")
    assert not report.default_password_in_use
    assert hasher.verify(await admin_hash(uows), "s3cret-pass")


async def test_a_password_someone_chose_is_never_overwritten(
    clock: ManualClock, hasher: Argon2PasswordHasher
) -> None:
    uows = MemoryUnitOfWorkFactory()
    await Bootstrap(uows, clock, hasher)("chosen-first")
    await Bootstrap(uows, clock, hasher)("from-the-environment")
    assert hasher.verify(await admin_hash(uows), "chosen-first")
