"""Click-to-call from a communication (seed 002 ``POST /v2/communications/{uuid}/call-phone``).

The checks run in a fixed order, each a 409 naming what is missing: the client's phone, the
employee's extension, a telephony adapter. The PBX is called outside any transaction; the call is
then noted in the communication's history.
"""

from __future__ import annotations

from dataclasses import dataclass

from application.communications.recording import CommunicationKey, load
from application.ports import Clock, UnitOfWorkFactory
from application.telephony.ports import Telephony
from domain.access import Permission, Principal, PrincipalKind
from domain.errors import Conflict, NotFound


@dataclass(frozen=True, kw_only=True)
class CallPhone:
    """The command to call a communication's client from an employee's phone."""

    key: CommunicationKey
    employee_id: int | None = None
    """Whose extension rings first; the caller when not given."""


@dataclass(frozen=True, kw_only=True)
class CallPlaced:
    communication_uuid: str
    employee_id: int
    extension: str
    phone: str
    adapter: str
    call_id: str | None


class ClickToCall:
    """Asks the PBX to ring an employee's phone, then the communication's client."""

    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock, telephony: Telephony | None) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self._telephony = telephony

    async def call(self, principal: Principal, command: CallPhone) -> CallPlaced:
        """Rings the employee's extension, then the communication's client."""
        principal.require(Permission.SEND_COMMUNICATIONS)
        async with self._uow_factory(read_only=True) as uow:
            communication = await load(uow, command.key)
            client = await uow.clients.get(communication.client_id) if communication.client_id else None
            if client is None or not client.phones:
                raise Conflict(f"communication {communication.uuid}: its client has no phone number to call")
            employee_id = command.employee_id
            if employee_id is None:
                employee_id = (
                    principal.id if principal.kind is PrincipalKind.EMPLOYEE else communication.employee_id
                )
            if employee_id is None:
                raise Conflict("no employee to call from: give employeeId")
            employee = await uow.employees.get(employee_id) if 0 < employee_id < 2**31 else None
            if employee is None:
                raise NotFound("employee", employee_id)
            if not employee.extension:
                raise Conflict(f"employee {employee_id} has no extension to call from")
        if self._telephony is None:
            raise Conflict("no telephony adapter is configured (BEELINE_API_TOKEN or ASTERISK_ARI_URL)")
        phone, extension = client.phones[0], employee.extension
        call_id = await self._telephony.call(extension=extension, phone=phone)
        async with self._uow_factory() as uow:
            stored = await load(uow, communication.uuid)
            stored.record_note(
                f"call-phone: {self._telephony.name} called {phone} from extension {extension}"
                + (f" (call {call_id})" if call_id else ""),
                at=self._clock.now(),
                actor=principal.actor,
            )
            await uow.communications.update(stored)
            await uow.commit()
        return CallPlaced(
            communication_uuid=communication.uuid,
            employee_id=employee_id,
            extension=extension,
            phone=phone,
            adapter=self._telephony.name,
            call_id=call_id,
        )
