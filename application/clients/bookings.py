"""Bookings of clients for future communications, and whether a client may be contacted now."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from application.clients.filtering import FilteredReading
from application.managed_entities import (
    MustExist,
    changes_of,
    check_references,
    command_for,
    page_of,
    require_command,
)
from application.ports import Clock, Repository, UnitOfWork, UnitOfWorkFactory
from application.queries import MAX_PAGE_SIZE, AnyOf, Condition, Page, Query
from application.searches import BookingFields, ClientFields
from domain.availability import Owner, availability, blocking_bookings, describe_holder
from domain.clients import Booking, BookingState, BookingStatusType, Client
from domain.errors import Conflict, NotFound, ValidationFailed
from domain.unset import UNSET, Unset

HELD_AT_ONCE = 100_000
"""Upper bound of bookings holding clients at one moment that one question reads: bookings are
deliberate acts of people, far fewer than clients."""

EXPIRES_BY_ITSELF = "a booking expires by itself when its before_date passes"


@dataclass(frozen=True)
class BookedClient:
    """A client with the booking holding it now (by anyone), as seed 000 shows clients."""

    client: Client
    booking: Booking | None
    status: BookingStatusType | None


@dataclass(frozen=True)
class ClientAvailability:
    """Whether a client may be contacted now, and why not."""

    client_id: int
    available: bool
    reasons: list[str]


async def holding(uow: UnitOfWork, now: datetime, client_ids: Sequence[int] | None = None) -> list[Booking]:
    """Bookings holding their clients at ``now``, of the given clients or of all."""
    criteria: list[Condition] = [
        BookingFields.status.eq(BookingState.BOOKED),
        BookingFields.before_date.gt(now),
    ]
    if client_ids is not None:
        criteria.append(BookingFields.client_id.in_(client_ids))
    found = await uow.bookings.find(
        Query(tuple(criteria), order_by=(BookingFields.before_date.asc(),), limit=HELD_AT_ONCE)
    )
    return [b for b in found if b.holds(now)]


NewBooking = command_for(Booking, "NewBooking", without=("status",))
"""Book a client for an owner (an employee, or a department) until ``before_date``."""


@dataclass(frozen=True, kw_only=True)
class BookingChange:
    """Change a booking: its end, its name, or its status (``released`` releases it, ``booked``
    takes it again; ``expired`` comes by itself). ``UNSET`` fields stay."""

    before_date: datetime | Unset = UNSET
    name: str | None | Unset = UNSET
    status: BookingState | Unset = UNSET


REFERENCES = (
    MustExist("client_id", lambda uow: uow.clients, "client"),
    MustExist("department_id", lambda uow: uow.departments, "department"),
    MustExist("employee_id", lambda uow: uow.employees, "employee"),
)


class Bookings(FilteredReading[Booking]):
    """A new booking is always Booked; one owner holds a client once (booking again extends the hold),
    and a client held by one owner cannot be booked by another.

    List filter beyond the entity's fields: ``active`` (true: holding its client now).
    """

    kind = "booking"
    command = NewBooking
    patch = BookingChange
    fields = BookingFields
    key_fields = (BookingFields.name,)
    search_fields = (BookingFields.name,)
    resolved_fields = (BookingFields.active,)

    def repo(self, uow: UnitOfWork) -> Repository[Booking]:
        return uow.bookings

    # -- writing ---------------------------------------------------------------------------

    async def create(self, command: Any) -> Booking:
        """Books a client (a ``NewBooking``); the owner's own hold of it is extended instead."""
        require_command(self, command, NewBooking)
        async with self._uow_factory() as uow:
            booking = await self._book(
                uow,
                command.client_id,
                command.before_date,
                Owner(command.department_id, command.employee_id),
                command.name,
            )
            await uow.commit()
        return booking

    async def _book(
        self, uow: UnitOfWork, client_id: int, before_date: datetime, owner: Owner, name: str | None = None
    ) -> Booking:
        self._refuse_past(before_date)
        if owner.department_id is None and owner.employee_id is not None:
            employee = await uow.employees.get(owner.employee_id)
            owner = Owner(employee.department_id if employee else None, owner.employee_id)
        if owner.anonymous:
            raise ValidationFailed.field(
                "department_id", "a booking needs an owner: department_id or employee_id"
            )
        now = self._clock.now()
        own = [
            b
            for b in await holding(uow, now, [client_id])
            if b.is_held_by(department_id=owner.department_id, employee_id=owner.employee_id)
        ]
        if own:
            extended = dataclasses.replace(
                own[-1], before_date=before_date, name=own[-1].name if name is None else name, update_time=now
            )
            return await self._store(uow, extended)
        booking = Booking(
            client_id=client_id,
            before_date=before_date,
            name=name,
            department_id=owner.department_id,
            employee_id=owner.employee_id,
            create_time=now,
            update_time=now,
        )
        await self._check(uow, booking)
        return await uow.bookings.add(booking)

    async def change(self, booking_id: int, patch: BookingChange) -> Booking:
        """Changes a booking (a ``BookingChange``): its end, its name, or releases or retakes it."""
        require_command(self, patch, BookingChange)
        async with self._uow_factory() as uow:
            current = await self.load(uow, booking_id)
            changed = await self._change(uow, current, patch)
            await uow.commit()
        return changed

    async def _change(self, uow: UnitOfWork, current: Booking, patch: BookingChange) -> Booking:
        now = self._clock.now()
        if patch.before_date is not UNSET:
            self._refuse_past(patch.before_date)
        if patch.status is not UNSET and patch.status is not current.status:
            if patch.status is BookingState.RELEASED:
                current.release(now)
            elif patch.status is BookingState.BOOKED:
                before_date = current.before_date if patch.before_date is UNSET else patch.before_date
                if before_date <= now:
                    raise ValidationFailed.field("before_date", "give a future before_date to book again")
                current.rebook(before_date, now)
            else:
                raise ValidationFailed.field("status", EXPIRES_BY_ITSELF)
        changes = {k: v for k, v in changes_of(patch).items() if k != "status"}
        return await self._store(uow, dataclasses.replace(current, **changes, update_time=now))

    async def delete(self, booking_id: int) -> None:
        """Deletes a booking (its record goes; releasing keeps it)."""
        async with self._uow_factory() as uow:
            await self.load(uow, booking_id)
            await uow.bookings.delete(booking_id)
            await uow.commit()

    async def _store(self, uow: UnitOfWork, booking: Booking) -> Booking:
        await self._check(uow, booking)
        await uow.bookings.update(booking)
        return booking

    async def _check(self, uow: UnitOfWork, entity: Booking) -> None:
        """What it points at exists, and no other owner holds the client."""
        await check_references(uow, REFERENCES, {ref.field: getattr(entity, ref.field) for ref in REFERENCES})
        now = self._clock.now()
        if not entity.holds(now):
            return
        owner = Owner(entity.department_id, entity.employee_id)
        blocking = blocking_bookings(await holding(uow, now, [entity.client_id]), now, owner)
        taken = [b for b in blocking if b.id != entity.id]
        if taken:
            other = taken[0]
            until = other.before_date.astimezone(UTC).isoformat(timespec="seconds")
            raise Conflict(
                f"client {entity.client_id} is booked by {describe_holder(other)} until {until}"
                f" (booking {other.id})"
            )

    async def release(self, key: str | int) -> Booking:
        """Ends a client's booking held by this owner."""
        async with self._uow_factory() as uow:
            booking = await self.load_by_key(uow, key)
            booking.release(self._clock.now())  # only a Booked booking can be released
            await uow.bookings.update(booking)
            await uow.commit()
        return booking

    async def expire_due(self, now: datetime | None = None) -> int:
        """Marks Expired every Booked booking whose ``before_date`` has passed; returns how many."""
        at = now or self._clock.now()
        expired = 0
        async with self._uow_factory() as uow:
            while True:
                due = await uow.bookings.find(
                    Query(
                        (BookingFields.status.eq(BookingState.BOOKED), BookingFields.before_date.lte(at)),
                        limit=500,
                    )
                )
                if not due:
                    break
                for booking in due:
                    booking.expire(at)
                    await uow.bookings.update(booking)
                expired += len(due)
            await uow.commit()
        return expired

    def _refuse_past(self, before_date: datetime | None) -> None:
        if before_date is not None and before_date <= self._clock.now():
            raise ValidationFailed.field("before_date", "must be in the future")

    # -- seed 000: booking through the client --------------------------------------------

    async def book_client(
        self, client_id: int, before_date: datetime, owner: Owner, status_name: str | None = None
    ) -> BookedClient:
        """Books the client for ``owner`` (or extends its hold); a Released status releases it."""
        async with self._uow_factory() as uow:
            client = await uow.clients.get(client_id)
            if client is None:
                raise NotFound("client", client_id)
            state = BookingState.BOOKED
            if status_name is not None:
                state = (await self._status_named(uow, status_name)).code
            if state is BookingState.BOOKED:
                await self._book(uow, client_id, before_date, owner)
            elif state is BookingState.RELEASED:
                await self._release_own(uow, client_id, owner)
            else:
                raise ValidationFailed.field("status.name", EXPIRES_BY_ITSELF)
            await uow.commit()
        return (await self.with_bookings([client]))[0]

    async def _release_own(self, uow: UnitOfWork, client_id: int, owner: Owner) -> None:
        now = self._clock.now()
        own = [
            b
            for b in await holding(uow, now, [client_id])
            if b.is_held_by(department_id=owner.department_id, employee_id=owner.employee_id)
        ]
        if not own:
            raise NotFound("booking", f"of client {client_id} held by the caller")
        for booking in own:
            await self._change(uow, booking, BookingChange(status=BookingState.RELEASED))

    async def _status_named(self, uow: UnitOfWork, name: str) -> BookingStatusType:
        statuses = await uow.booking_statuses.find(Query(limit=MAX_PAGE_SIZE))
        wanted = name.strip().casefold()
        for status in statuses:
            if wanted in (status.name.casefold(), status.code.value):
                return status
        known = ", ".join(repr(s.name) for s in statuses)
        raise ValidationFailed.field("status.name", f"no booking status named {name!r}; known: {known}")

    async def with_bookings(self, clients: Sequence[Client]) -> list[BookedClient]:
        """Each client with the booking holding it now (the longest one, if several)."""
        ids = [c.id for c in clients if c.id is not None]
        async with self._uow_factory(read_only=True) as uow:
            current: dict[int, Booking] = {}
            for booking in await holding(uow, self._clock.now(), ids) if ids else []:
                current[booking.client_id] = booking  # ordered by before_date: the last one wins
            statuses = {s.code: s for s in await uow.booking_statuses.find(Query(limit=MAX_PAGE_SIZE))}
        result = []
        for client in clients:
            held = current.get(client.id or 0)
            result.append(BookedClient(client, held, statuses.get(held.status) if held else None))
        return result

    # -- reading ---------------------------------------------------------------------------

    async def resolve(self, uow: UnitOfWork, condition: Condition) -> Condition | AnyOf:
        now = self._clock.now()
        if condition.value:
            return BookingFields.id.in_(b.id for b in await holding(uow, now) if b.id is not None)
        return AnyOf((BookingFields.status.ne(BookingState.BOOKED), BookingFields.before_date.lte(now)))


class Availability:
    """Whether clients may be contacted now: their own opt-in, and bookings held by others."""

    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow_factory = uow_factory
        self._clock = clock

    async def of_client(self, client_id: int, asking: Owner | None) -> ClientAvailability:
        """Whether the client may be contacted now by this owner, and what holds it."""
        now = self._clock.now()
        async with self._uow_factory(read_only=True) as uow:
            client = await uow.clients.get(client_id)
            if client is None:
                raise NotFound("client", client_id)
            bookings = await holding(uow, now, [client_id])
        available, reasons = availability(client, bookings, now, asking)
        return ClientAvailability(client_id, available, reasons)

    async def available_clients(self, asking: Owner | None, query: Query) -> Page[Client]:
        """Clients ``asking`` may contact now, a page at a time."""
        if not 1 <= query.limit <= MAX_PAGE_SIZE:
            raise ValidationFailed.field("limit", f"must be between 1 and {MAX_PAGE_SIZE}")
        if query.offset < 0:
            raise ValidationFailed.field("offset", "must not be negative")
        now = self._clock.now()
        async with self._uow_factory(read_only=True) as uow:
            taken = sorted({b.client_id for b in blocking_bookings(await holding(uow, now), now, asking)})
            query = query.where(ClientFields.available.eq(True))
            if taken:
                query = query.where(ClientFields.id.not_in(taken))
            return await page_of(uow.clients, query)
