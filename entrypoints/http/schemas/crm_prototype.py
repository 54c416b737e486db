"""The CRM prototype contract's /clients bodies (seed 000); the canonical ones are in ``clients``."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import UNSET, UnsetType

from application.clients import BookedClient, ClientAvailability
from entrypoints.http.schemas.clients import BirthDate, Moment, Phone, SocialMedia, parse_birth_date
from entrypoints.http.schemas.common import Id, In, Name, Out, patch_of
from entrypoints.http.schemas.organisation import Email
from entrypoints.http.schemas.times import SeedTime, Timestamp, seed_time


class SeedClientIn(In):
    """``POST /clients/add``: the seed's fields, plus the contact data a client needs to be reached."""

    first_name: Name | None = None
    last_name: Name | None = None
    middle_name: Name | None = None
    birth_date: BirthDate | None = None
    available: bool = True
    social_media: SocialMedia | None = None
    phones: list[Phone] = msgspec.field(default_factory=list)
    email: Email | None = None

    converters = {"birth_date": parse_birth_date}  # noqa: RUF012


SeedClientEdit = patch_of(SeedClientIn, name="SeedClientEdit")


class SeedBookingStatusOut(Out):
    booking_status_type_id: int
    name: str
    description: str | None


class SeedBookingOut(Out):
    booking_id: int
    before_date: Timestamp
    status: SeedBookingStatusOut | None


class SeedClientOut(Out, kw_only=True):
    client_id: int
    first_name: str | None
    last_name: str | None
    birth_date: Timestamp | None
    create_time: Timestamp
    update_time: Timestamp
    available: bool
    social_media: dict[str, str] | None
    communication: None = None
    """Reserved by the seed; always null here (communications have their own routes)."""
    booking: SeedBookingOut | None
    """The booking holding the client now (by anyone), or null."""


def seed_client_out(held: BookedClient) -> SeedClientOut:
    # By hand: the contract names ids after their kind (clientId) and nests the booking and its status.
    c, b, s = held.client, held.booking, held.status
    booking = None
    if b is not None:
        status = (
            None
            if s is None
            else SeedBookingStatusOut(
                booking_status_type_id=s.id or 0, name=s.name, description=s.description
            )
        )
        booking = SeedBookingOut(booking_id=b.id or 0, before_date=SeedTime(b.before_date), status=status)
    return SeedClientOut(
        client_id=c.id or 0,
        first_name=c.first_name,
        last_name=c.last_name,
        birth_date=seed_time(c.birth_date),
        create_time=SeedTime(c.create_time),
        update_time=SeedTime(c.update_time),
        available=c.available,
        social_media=c.social_media,
        booking=booking,
    )


class SeedStatusIn(In):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=255, examples=["Забронирован"])]


class SeedBookingIn(In):
    """``PUT /clients/{id}/bookings``. The owner is the calling employee unless named here."""

    before_date: Moment
    status: SeedStatusIn | UnsetType = UNSET
    """A status of the booking dictionary by name: Booked (the default) books, Released releases."""
    department_id: Id | None = None
    employee_id: Id | None = None


class SeedAvailabilityOut(Out):
    """The seed answers with strings: ``{"clientId": "1", "available": "true"}``."""

    client_id: str
    available: Annotated[str, msgspec.Meta(examples=["true", "false"])]
    reasons: list[str]


def seed_availability_out(a: ClientAvailability) -> SeedAvailabilityOut:
    # By hand: the contract writes the id and the flag as strings.
    return SeedAvailabilityOut(
        client_id=str(a.client_id), available="true" if a.available else "false", reasons=list(a.reasons)
    )
