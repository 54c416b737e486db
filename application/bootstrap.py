"""A fresh install's starting data: the default dictionaries, the administrator role and user."""

from __future__ import annotations

from dataclasses import dataclass

from application.ports import Clock, PasswordHasher, UnitOfWork, UnitOfWorkFactory
from application.searches import (
    BookingStatusFields,
    ChannelFields,
    CommunicationTypeFields,
    EmployeeFields,
    RoleFields,
)
from domain.access import Grant, Permission
from domain.clients import BookingState, BookingStatusType
from domain.dictionaries import (
    DEFAULT_BOOKING_STATUSES,
    DEFAULT_CHANNELS,
    DEFAULT_COMMUNICATION_TYPES,
    Channel,
    CommunicationType,
)
from domain.organisation import Employee, Role

ADMIN_LOGIN = "Admin"
DEFAULT_ADMIN_PASSWORD = "admin"
ADMIN_ROLE = "Administrator"


@dataclass(frozen=True)
class BootstrapReport:
    created: tuple[str, ...]
    default_password_in_use: bool


class Bootstrap:
    """Adds whatever defaults are missing; running it again changes nothing (idempotent)."""

    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock, hasher: PasswordHasher) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self._hasher = hasher

    async def __call__(self, admin_password: str | None = None) -> BootstrapReport:
        created: list[str] = []
        async with self._uow_factory() as uow:
            await self._dictionaries(uow, created)
            admin = await self._admin(uow, admin_password or DEFAULT_ADMIN_PASSWORD, created)
            await uow.commit()
        return BootstrapReport(
            created=tuple(created),
            default_password_in_use=admin.active
            and self._hasher.verify(admin.password_hash, DEFAULT_ADMIN_PASSWORD),
        )

    async def _dictionaries(self, uow: UnitOfWork, created: list[str]) -> None:
        now = self._clock.now()
        for entry in DEFAULT_COMMUNICATION_TYPES:
            if not await uow.communication_types.count(CommunicationTypeFields.code.eq(entry.code)):
                await uow.communication_types.add(
                    CommunicationType(
                        name=entry.name,
                        code=entry.code,
                        description=entry.description,
                        create_time=now,
                        update_time=now,
                    )
                )
                created.append(f"communication type {entry.code}")
        for channel in DEFAULT_CHANNELS:
            if not await uow.channels.count(ChannelFields.code.eq(channel.entry.code)):
                await uow.channels.add(
                    Channel(
                        name=channel.entry.name,
                        code=channel.entry.code,
                        description=channel.entry.description,
                        kind=channel.kind,
                        dispatchable=channel.dispatchable,
                        create_time=now,
                        update_time=now,
                    )
                )
                created.append(f"channel {channel.entry.code}")
        for entry in DEFAULT_BOOKING_STATUSES:
            if not await uow.booking_statuses.count(BookingStatusFields.code.eq(BookingState(entry.code))):
                await uow.booking_statuses.add(
                    BookingStatusType(
                        code=BookingState(entry.code),
                        name=entry.name,
                        description=entry.description,
                        create_time=now,
                        update_time=now,
                    )
                )
                created.append(f"booking status {entry.code}")

    async def _admin(self, uow: UnitOfWork, password: str, created: list[str]) -> Employee:
        now = self._clock.now()
        role = await uow.roles.first(RoleFields.name.eq(ADMIN_ROLE))
        if role is None:
            role = await uow.roles.add(
                Role(
                    name=ADMIN_ROLE,
                    description="Manages the whole system",
                    grants=(Grant(permission=Permission.MANAGE_SYSTEM),),
                    create_time=now,
                    update_time=now,
                )
            )
            created.append(f"role {ADMIN_ROLE}")
        admin = await uow.employees.first(EmployeeFields.login.eq(ADMIN_LOGIN))
        if admin is None:
            assert role.id is not None
            admin = await uow.employees.add(
                Employee(
                    login=ADMIN_LOGIN,
                    password_hash=self._hasher.hash(password),
                    role_ids=[role.id],
                    first_name="Admin",
                    last_name="Switchboard",
                    create_time=now,
                    update_time=now,
                )
            )
            created.append(f"user {ADMIN_LOGIN}")
        elif password != DEFAULT_ADMIN_PASSWORD and self._hasher.verify(
            admin.password_hash, DEFAULT_ADMIN_PASSWORD
        ):
            # ADMIN_PASSWORD set after the first start replaces the default password, and only that:
            # a password someone chose is never overwritten from the environment.
            admin.password_hash = self._hasher.hash(password)
            admin.touch(now)
            await uow.employees.update(admin)
            created.append(f"password of {ADMIN_LOGIN} from ADMIN_PASSWORD")
        return admin
