"""Channel fallback: a communication that fails finally is tried on the next channel of its send.

When the dispatcher gives up (a permanent refusal, or its last attempt) or a provider reports
``failed``/``undelivered``, the send's channel priority list (kept with the send) names the
channels left after the failed one. An auto send names no list: its decision's ranked channels
(kept in the decision log, the chosen one first) are the list, and the follow-up's log entry
carries them on, so a second failure moves to the third channel. The same send decision as the
request's (``decide``) picks the first of them that the department's rules allow for this
client, with every refusal reason (blocked, no contact, caps, quiet hours…). The follow-up is a
NEW communication that names the failed one (``fallback_of``), queued in the same send; both
histories note the link, and the follow-up's creation is a ``communication.status_changed``
event (events log and webhook outbox) in the same transaction. When nothing is left, or the
decision refuses, the failure stands, with a note saying why no fallback was made.

Set-based per batch: one query for the sends' channel lists and queued messages, a few for the
clients, their send facts, the channels and the departments' rules, one pure decision per failed
communication, and multi-row inserts for the follow-ups.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from application.decisions.ports import FALLBACK_MODE, DecisionRecord
from application.events.status import StatusWatch
from application.ports import UnitOfWork
from application.sending.send import EmailIdentity, queued_message
from application.sending.store import FallbackOrigin, QueuedMessage, SendFacts
from application.webhooks.outbox import publish_many, status_events
from domain.access import Permission, Principal, Process
from domain.availability import Owner
from domain.clients import Client
from domain.communications import Communication, CommunicationKind, DeliveryStatus, Direction
from domain.rules import Rule
from domain.sending.decision import Accepted, ChannelFacts, Recipient, SendContext, decide

FINAL_FAILURES = frozenset({DeliveryStatus.FAILED, DeliveryStatus.UNDELIVERED})
# The sender's grants were applied when the send stored its list (only channels it may use).
FALLBACK = Principal.process(Process.DISPATCHER, Permission.SEND_COMMUNICATIONS)
_NO_FACTS = SendFacts()


def remaining(channel_ids: Sequence[int], failed_channel_id: int) -> tuple[int, ...]:
    """The channels after the failed one in the send's priority list (none if it is not listed)."""
    if failed_channel_id not in channel_ids:
        return ()
    return tuple(channel_ids[channel_ids.index(failed_channel_id) + 1 :])


async def follow_up(
    fallback: ChannelFallback | None, uow: UnitOfWork, communications: Sequence[Communication], now: datetime
) -> None:
    """Let ``fallback`` follow up the finally failed ones, when there is a fallback."""
    if fallback is not None:
        await fallback.follow_up(uow, communications, now)


class ChannelFallback:
    """Queues a follow-up of each finally failed communication on the next channel its rule allows."""

    def __init__(self, email: EmailIdentity, new_uuid: Callable[[], str]) -> None:
        self._email = email
        self._new_uuid = new_uuid

    async def follow_up(
        self, uow: UnitOfWork, communications: Iterable[Communication], now: datetime
    ) -> list[Communication]:
        """Queue the follow-ups of those that failed finally, in ``uow``; returns the new ones.

        Notes the link (or why there is none) in the failed ones' history: the caller stores them.
        """
        failed = [
            c
            for c in communications
            if c.id is not None
            and c.client_id is not None
            and c.direction is Direction.OUTBOUND
            and c.delivery_status in FINAL_FAILURES
        ]
        if not failed:
            return []
        origins = await uow.sends.fallback_origins([c.id or 0 for c in failed])
        # Auto sends keep their lists per communication, in the decision log.
        decided = await uow.decisions.of_many([i for i, o in origins.items() if not o.channel_ids])
        todo: list[tuple[Communication, FallbackOrigin, tuple[int, ...]]] = []
        for c in failed:
            origin = origins.get(c.id or 0)
            if origin is None or origin.has_fallback:
                continue
            logged = decided.get(c.id or 0)
            listed = logged.channel_ids if logged is not None else origin.channel_ids
            left = remaining(listed, c.channel_id)
            if left:
                todo.append((c, origin, left))
        if not todo:
            return []
        client_ids = list(dict.fromkeys(c.client_id or 0 for c, _, _ in todo))
        clients = await uow.clients.get_many(client_ids)
        facts = await uow.sends.facts(client_ids, now)
        channels = await uow.channels.get_many(list(dict.fromkeys(i for _, _, left in todo for i in left)))
        department_ids = list(dict.fromkeys(c.department_id for c, _, _ in todo))
        rules: dict[int | None, list[Rule]] = {}
        zones: dict[int | None, str | None] = {}
        for department_id in department_ids:
            rules[department_id] = await uow.sends.active_rules(department_id) if department_id else []
            department = await uow.departments.get(department_id) if department_id else None
            zones[department_id] = department.time_zone if department is not None else None
        actor = FALLBACK.actor
        made: list[tuple[Communication, Communication]] = []
        send_ids: list[int] = []
        queued: list[QueuedMessage] = []
        for c, origin, left in todo:
            client = clients.get(c.client_id or 0)
            if client is None:
                c.record_note("no fallback: the client no longer exists", at=now, actor=actor)
                continue
            context = SendContext(
                type_id=c.type_id,
                sender=FALLBACK,
                rules=rules[c.department_id],
                now=now,
                owner=Owner(department_id=c.department_id, employee_id=c.employee_id),
                default_time_zone=zones[c.department_id],
            )
            offered = [
                ChannelFacts(id=i, kind=ch.kind, dispatchable=ch.dispatchable, active=ch.active, name=ch.name)
                for i in left
                if (ch := channels.get(i)) is not None
            ]
            recipient = _recipient(client, facts.get(client.id or 0, _NO_FACTS), origin.message, now)
            decision = decide(context, recipient, offered)
            if not isinstance(decision, Accepted):
                c.record_note(f"no fallback: {decision.message}", at=now, actor=actor)
                continue
            channel = channels[decision.channel_id]
            follow = Communication.open(
                uuid=self._new_uuid(),
                kind=CommunicationKind.PLANNED,
                direction=Direction.OUTBOUND,
                type_id=c.type_id,
                channel_id=decision.channel_id,
                at=now,
                actor=actor,
                client_id=c.client_id,
                employee_id=c.employee_id,
                department_id=c.department_id,
                project_id=c.project_id,
                mailing_id=c.mailing_id,
                document_id=c.document_id,
                subject=c.subject,
                content=c.content,
                scheduled_at=decision.scheduled_at,
            )
            follow.fallback_of = c.id
            why = f": {c.failure_reason}" if c.failure_reason else ""
            follow.record_note(
                f"fallback of communication {c.id}, which failed on channel {c.channel_id}{why}",
                at=now,
                actor=actor,
            )
            message = origin.message
            # An email keeps the HTML it had; one made from an SMS gets the HTML of its text.
            html = message.html if message.channel_kind is channel.kind else None
            queued.append(
                queued_message(
                    self._email,
                    follow,
                    client,
                    channel,
                    subject=message.subject,
                    text=message.text,
                    html=html,
                )
            )
            send_ids.append(origin.send_id)
            made.append((c, follow))
        return await self._store(uow, send_ids, made, queued, decided, now)

    async def _store(
        self,
        uow: UnitOfWork,
        send_ids: list[int],
        made: list[tuple[Communication, Communication]],
        queued: list[QueuedMessage],
        decided: Mapping[int, DecisionRecord],
        now: datetime,
    ) -> list[Communication]:
        """Queue the follow-ups, note them on the failed ones, log their decisions and events."""
        follow_ups = [f for _, f in made]
        await uow.sends.add_fallbacks(send_ids, follow_ups, queued)
        for c, follow in made:
            # After storing: the note names the follow-up's id.
            c.record_note(
                f"fallback: communication {follow.id} on channel {follow.channel_id}",
                at=now,
                actor=FALLBACK.actor,
            )
        await uow.decisions.add_many(
            [carried(d, c, f, now) for c, f in made if (d := decided.get(c.id or 0)) is not None]
        )
        # A new attempt is news for the front systems, as the first one's changes are.
        await StatusWatch().record(uow, follow_ups)
        await publish_many(uow, status_events(follow_ups), now)
        return follow_ups


def carried(
    decision: DecisionRecord, failed: Communication, follow: Communication, now: datetime
) -> DecisionRecord:
    """The follow-up's log entry: its original's decision, carried to the next ranked channel."""
    why = (
        f"fallback of communication {failed.id}, which failed on channel {failed.channel_id}: "
        f"the next of its ranked channels, {follow.channel_id}; "
    )
    return replace(
        decision,
        communication_id=follow.id or 0,
        mode=FALLBACK_MODE,
        matches_rule=False,
        explanation=(why + decision.explanation)[:4000],
        create_time=now,
    )


def _recipient(client: Client, facts: SendFacts, failed: QueuedMessage, now: datetime) -> Recipient:
    # The failed message never reached the client: it does not count against caps or intervals.
    counted_today = failed.due_at.date() == now.date()
    counted_week = failed.due_at.date() > now.date() - timedelta(days=7)
    last = None if facts.last_sent_at == failed.due_at else facts.last_sent_at
    return Recipient.of(
        client,
        blocks=facts.blocks,
        bookings=facts.bookings,
        sent_today=max(0, facts.sent_today - counted_today),
        sent_this_week=max(0, facts.sent_this_week - counted_week),
        last_sent_at=last,
        has_push_subscription=facts.has_push_subscription,
    )
