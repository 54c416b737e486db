"""The send request (SPEC §3): check every client against the rules, queue the accepted, say why not.

One transaction, a few set-based reads for the whole audience (contact data, blocks, bookings,
send counts), one pure decision per client, then multi-row inserts. Dispatch happens later, in
the worker; nothing here calls a provider. Above ``ANSWER_LIST_LIMIT`` clients (without ``auto``)
the decided clients are stored as pending recipients and the answer goes at once; their
communications are made afterwards (``materialise.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from functools import cache

from application.collector import collector_paused
from application.events.status import announce_completed
from application.ports import Clock, UnitOfWork, UnitOfWorkFactory
from application.queries import Query
from application.sending import auto
from application.sending.commands import (
    ANSWER_LIST_LIMIT,
    AcceptedItem,
    RefusedItem,
    ScheduledRecipient,
    SendAnswer,
    SendCommand,
    SendProgress,
)
from application.sending.email import email_headers, html_from_text
from application.sending.ports import CompiledTemplate, TemplateRenderer
from application.sending.store import (
    PendingRecipient,
    QueuedMessage,
    SendContent,
    SendFacts,
    SendRecord,
    SendSetting,
)
from application.sending.unsubscribe import UnsubscribeTokens, unsubscribe_url
from domain.access import Permission, Principal, PrincipalKind
from domain.availability import Owner
from domain.clients import Client
from domain.communications import Communication, CommunicationKind, Direction
from domain.decisions import DecisionSettings
from domain.dictionaries import Channel, ChannelKind, DocumentKind
from domain.errors import Conflict, NotFound, ValidationFailed
from domain.sending.decision import Accepted, AudienceDecider, ChannelFacts, SendContext, may_send

IDEMPOTENCY_WINDOW = timedelta(hours=24)
_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True, kw_only=True)
class EmailIdentity:
    """What every email needs from configuration: the public base address and the id domain."""

    public_url: str
    message_id_domain: str
    tokens: UnsubscribeTokens


_Sources = tuple[str | None, str | None, str | None]
"""A send's subject, text and HTML templates, as given."""


@dataclass(frozen=True)
class _Audience:
    """A send's audience as the decisions read it: whom, when, what storage knows, the plan."""

    scheduled: Sequence[ScheduledRecipient]
    clients: Mapping[int, Client]
    known: Mapping[int, SendFacts]
    plan: auto.AutoPlan
    channel_facts: Sequence[ChannelFacts]

    def decided(
        self, decider: AudienceDecider, at: datetime | None, refused: list[RefusedItem]
    ) -> Iterator[tuple[ScheduledRecipient, Client, Accepted]]:
        """Each accepted recipient with its client and decision, in audience order; each refused one
        appended to ``refused`` instead. ``at``: the request's time, for recipients without their own."""
        plan, channel_facts = self.plan, self.channel_facts
        for entry in self.scheduled:
            client = self.clients[entry.client_id]
            facts_of = self.known.get(entry.client_id)
            decision = decider.decide(
                client,
                None if facts_of is None else vars(facts_of),
                plan.time_for(entry.client_id, entry.at or at),
                plan.channels_for(entry.client_id, channel_facts),
            )
            if isinstance(decision, Accepted):
                yield entry, client, decision
            else:
                refused.append(RefusedItem(entry.client_id, decision.reason, decision.message))


@dataclass(frozen=True)
class _Templates:
    subject: CompiledTemplate | None
    text: CompiledTemplate | None
    html: CompiledTemplate | None


def client_values(client: Client, only: frozenset[str] | None = None) -> dict[str, object]:
    """A client's fields by their API names, as templates see them under ``client``; ``only``
    these names when given (what the templates read: the rest would be made for nothing)."""
    names = _client_names() if only is None else _client_names_among(only)
    values: dict[str, object] = {api: getattr(client, name) for name, api in names}
    if only is None or "fullName" in only:
        values["fullName"] = client.full_name
    return values


@cache
def _client_names_among(only: frozenset[str]) -> tuple[tuple[str, str], ...]:
    return tuple((name, api) for name, api in _client_names() if api in only)


@cache
def _client_names() -> tuple[tuple[str, str], ...]:
    return tuple((f.name, template_name(f.name)) for f in fields(Client))


def address(client: Client, kind: ChannelKind) -> str:
    """Where a message of this channel kind goes; the decision has checked that there is one."""
    if kind is ChannelKind.EMAIL:
        return client.email or ""
    if kind in (ChannelKind.SMS, ChannelKind.CALL):
        return client.phones[0] if client.phones else ""
    if kind is ChannelKind.PUSH:
        # The browsers are looked up when the message goes: subscriptions come and go meanwhile.
        return push_address(client.id or 0)
    handles = client.social_media or {}
    for network in ("telegram", "whatsapp", *sorted(handles)):
        if network in handles:
            return f"{network}:{handles[network]}"
    return f"client:{client.id}"


def push_address(client_id: int) -> str:
    """A Push message's address: the client, whose stored subscriptions the push sender reads."""
    return f"push:{client_id}"


def queued_message(
    email: EmailIdentity,
    communication: Communication,
    client: Client,
    channel: Channel,
    *,
    subject: str | None,
    text: str | None,
    html: str | None,
) -> QueuedMessage:
    """The queue row of a new communication: its channel's address, and an email's HTML and headers."""
    text = text or ""
    headers: dict[str, str] = {}
    if channel.kind is ChannelKind.EMAIL:
        token = email.tokens.issue(client.id or 0, channel.id or 0)
        headers = email_headers(
            uuid=communication.uuid,
            domain=email.message_id_domain,
            unsubscribe=unsubscribe_url(email.public_url, token),
        )
        html = html or html_from_text(text)
    else:
        html = None
    return QueuedMessage(
        communication_id=0,  # given when stored, with the communication's
        uuid=communication.uuid,
        client_id=client.id,
        channel_id=channel.id or 0,
        channel_kind=channel.kind,
        due_at=communication.scheduled_at or communication.create_time,
        to=address(client, channel.kind),
        subject=subject,
        text=text,
        html=html,
        headers=headers,
    )


class SendMessages:
    """Accept a send request: one communication per accepted client, queued for dispatch."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        renderer: TemplateRenderer,
        email: EmailIdentity,
        new_uuid: Callable[[], str],
        decisions: DecisionSettings | None = None,
        pending_stored: Callable[[], None] | None = None,
    ) -> None:
        """``pending_stored``: called after a bulk send stored pending recipients (the accepting
        process's materialiser starts on them at once)."""
        self._pending_stored = pending_stored
        self._decisions = decisions or DecisionSettings()
        self._uow = uow_factory
        self._clock = clock
        self._renderer = renderer
        self._email = email
        self._new_uuid = new_uuid

    async def __call__(self, principal: Principal, command: SendCommand) -> SendAnswer:
        principal.require(Permission.SEND_COMMUNICATIONS)
        with collector_paused():
            return await self._send(principal, command)

    async def _send(self, principal: Principal, command: SendCommand) -> SendAnswer:
        now = self._clock.now()
        fingerprint = command.fingerprint()
        async with self._uow() as uow:
            if command.idempotency_key is not None:
                earlier = await uow.sends.find_by_key(command.idempotency_key, now - IDEMPOTENCY_WINDOW)
                if earlier is not None:
                    if earlier.fingerprint != fingerprint:
                        raise Conflict(
                            "this idempotency key was used within 24 hours for a different request"
                        )
                    return await _answer_of(uow, earlier)
            setting, mode, channels = await _setting(uow, command, principal, now)
            department, rules = setting.department, setting.rules
            assert department is not None  # _setting checked
            department_id = department.id or 0
            scheduled = await _audience(uow, command)
            ids = [r.client_id for r in scheduled]
            # The recipient read with the setting is the audience's one client (clientIds: [id]).
            read = setting.recipient if list(dict.fromkeys(command.audience.client_ids)) == ids else None
            clients, known = await _recipients(uow, ids, now, read)
            unknown = [i for i in ids if i not in clients]
            if unknown:
                shown = ", ".join(str(i) for i in unknown[:10])
                raise ValidationFailed.field("client_ids", f"no such clients: {shown}")
            sources, templates = await self._templates(uow, command)
            context = SendContext(
                type_id=command.type_id,
                sender=principal,
                rules=rules,
                now=now,
                owner=Owner(department_id=department_id, employee_id=_employee_id(principal)),
                default_time_zone=department.time_zone,
            )
            channel_facts = [
                ChannelFacts(
                    id=c.id or 0, kind=c.kind, dispatchable=c.dispatchable, active=c.active, name=c.name
                )
                for c in channels
            ]
            by_id = {c.id: c for c in channels}
            communications: list[Communication] = []
            queued: list[QueuedMessage] = []
            refused: list[RefusedItem] = []
            plan = await auto.plan(
                uow,
                mode=mode,
                command=command,
                principal=principal,
                department=department,
                channels=channels,
                clients=clients,
                scheduled=scheduled,
                known=known,
                owner=context.owner,
                now=now,
                settings=self._decisions,
                channel_facts=channel_facts,
            )
            rendering = _Rendering(templates, command.content.variables)
            audience = _Audience(scheduled, clients, known, plan, channel_facts)
            if len(scheduled) > ANSWER_LIST_LIMIT and not mode.on:
                return await self._accept_pending(
                    uow,
                    principal,
                    command,
                    audience,
                    context,
                    rendering,
                    sources,
                )
            open_communication = Communication.opener(
                kind=CommunicationKind.PLANNED,
                direction=Direction.OUTBOUND,
                type_id=command.type_id,
                at=now,
                actor=principal.actor,
                employee_id=_employee_id(principal),
                department_id=department_id,
                document_id=command.content.document_id,
            )
            decider = AudienceDecider(context)
            queue = _Queueing(self._email)
            for entry, client, decision in audience.decided(decider, command.at, refused):
                channel = by_id[decision.channel_id]
                rendered = rendering.of(client)
                communication = open_communication(
                    uuid=self._new_uuid(),
                    channel_id=decision.channel_id,
                    client_id=entry.client_id,
                    subject=rendered.subject,
                    content=rendered.text,
                    scheduled_at=decision.scheduled_at,
                )
                communications.append(communication)
                queued.append(queue.of(communication, client, channel, rendered))
                plan.keep(communication)
            record = await uow.sends.add(
                SendRecord(
                    idempotency_key=command.idempotency_key,
                    fingerprint=fingerprint,
                    type_id=command.type_id,
                    department_id=department_id,
                    actor=principal.actor,
                    accepted_count=len(queued),
                    refused_count=len(refused),
                    create_time=now,
                    # Only channels the sender may use: the fallback acts later, for this sender.
                    channel_ids=tuple(
                        i for i in command.channel_ids if may_send(principal, command.type_id, i)
                    ),
                ),
                communications,
                queued,
                refused,
                # Then only the commit: no decisions kept (not auto), no completion (some queued).
                last_write=bool(queued) and not plan.mode.on,
            )
            # After the send stored them: a decision names its communication's id.
            await uow.decisions.add_many(plan.records(now))
            await _complete_if_nothing_queued(uow, record, queued, now)
            await uow.commit()
        listed = len(queued) + len(refused) <= ANSWER_LIST_LIMIT
        return SendAnswer(
            send_id=record.id or 0,
            accepted_count=len(queued),
            refused_count=len(refused),
            accepted=tuple(AcceptedItem(q.client_id or 0, q.uuid, q.channel_id, q.due_at) for q in queued)
            if listed
            else None,
            refused=tuple(refused) if listed else None,
        )

    async def _accept_pending(
        self,
        uow: UnitOfWork,
        principal: Principal,
        command: SendCommand,
        audience: _Audience,
        context: SendContext,
        rendering: _Rendering,
        sources: _Sources,
    ) -> SendAnswer:
        """A bulk send, answered before its communications exist: each client decided as always,
        the templates checked on the first accepted client, then the decided recipients stored
        in one write; the materialiser makes their communications afterwards."""
        now = context.now
        pending: list[PendingRecipient] = []
        refused: list[RefusedItem] = []
        new_uuid = self._new_uuid
        for entry, client, decision in audience.decided(AudienceDecider(context), command.at, refused):
            if not pending:
                # A template error refuses the whole request, as when every client was rendered.
                rendering.of(client)
            made = object.__new__(PendingRecipient)  # one per accepted client: no per-field set-up
            made.__dict__.update(
                communication_id=0,  # taken when stored
                send_id=0,
                uuid=new_uuid(),
                client_id=entry.client_id,
                channel_id=decision.channel_id,
                scheduled_at=decision.scheduled_at,
            )
            pending.append(made)
        department_id = context.owner.department_id
        content = SendContent(
            subject=sources[0],
            text=sources[1],
            html=sources[2],
            variables=dict(command.content.variables),
            employee_id=_employee_id(principal),
            document_id=command.content.document_id,
        )
        record = await uow.sends.add_pending(
            SendRecord(
                idempotency_key=command.idempotency_key,
                fingerprint=command.fingerprint(),
                type_id=command.type_id,
                department_id=department_id,
                actor=principal.actor,
                accepted_count=len(pending),
                refused_count=len(refused),
                create_time=now,
                channel_ids=tuple(i for i in command.channel_ids if may_send(principal, command.type_id, i)),
            ),
            content,
            pending,
            refused,
        )
        await _complete_if_nothing_queued(uow, record, pending, now)
        await uow.commit()
        if self._pending_stored is not None and pending:
            self._pending_stored()
        return SendAnswer(
            send_id=record.id or 0,
            accepted_count=len(pending),
            refused_count=len(refused),
            accepted=None,
            refused=None,
        )

    async def _templates(self, uow: UnitOfWork, command: SendCommand) -> tuple[_Sources, _Templates]:
        sources = await _template_sources(uow, command)
        return sources, compile_templates(self._renderer, *sources)

    async def progress(self, principal: Principal, send_id: int, *, limit: int, offset: int) -> SendProgress:
        """The send's counts by status, and one page of its accepted and refused clients."""
        principal.require(Permission.SEND_COMMUNICATIONS)
        async with self._uow(read_only=True) as uow:
            record = await uow.sends.get(send_id)
            if record is None:
                raise NotFound("send", send_id)
            counts = await uow.sends.counts(send_id)
            return SendProgress(
                send_id=send_id,
                create_time=record.create_time,
                accepted_count=record.accepted_count,
                refused_count=record.refused_count,
                lifecycle=counts.lifecycle,
                delivery=counts.delivery,
                accepted=tuple(await uow.sends.accepted(send_id, limit=limit, offset=offset)),
                refused=tuple(await uow.sends.refused(send_id, limit=limit, offset=offset)),
            )


async def _template_sources(uow: UnitOfWork, command: SendCommand) -> _Sources:
    """The subject, text and HTML templates of the request (or of its document); a text part
    derived from the HTML when only that was given."""
    content = command.content
    subject, text, html = content.subject, content.text, content.html
    if content.document_id is not None:
        document = await uow.documents.get(content.document_id)
        if document is None:
            raise NotFound("document", content.document_id)
        subject = subject if subject is not None else document.subject
        if document.kind is DocumentKind.EMAIL_TEMPLATE:
            html = html if html is not None else document.body
            text = text if text is not None else _TAG.sub("", document.body or "")
        else:
            text = text if text is not None else document.body
    if not (text or html):
        raise ValidationFailed.field("text", "give the content: a document, text or html")
    if text is None and html is not None:
        text = _TAG.sub("", html)
    return subject, text, html


def compile_templates(
    renderer: TemplateRenderer, subject: str | None, text: str | None, html: str | None
) -> _Templates:
    """Each given part parsed once; raises TemplateProblem naming the part."""
    compile_ = renderer.compile
    # HTML first: a text part derived from it should not take the blame for its mistakes.
    compiled_html = compile_(html, field="html", html=True) if html else None
    return _Templates(
        subject=compile_(subject, field="subject") if subject else None,
        text=compile_(text, field="text") if text else None,
        html=compiled_html,
    )


async def _answer_of(uow: UnitOfWork, record: SendRecord) -> SendAnswer:
    send_id = record.id or 0
    listed = record.accepted_count + record.refused_count <= ANSWER_LIST_LIMIT
    accepted = await uow.sends.accepted(send_id, limit=ANSWER_LIST_LIMIT, offset=0) if listed else None
    refused = await uow.sends.refused(send_id, limit=ANSWER_LIST_LIMIT, offset=0) if listed else None
    return SendAnswer(
        send_id=send_id,
        accepted_count=record.accepted_count,
        refused_count=record.refused_count,
        accepted=None if accepted is None else tuple(accepted),
        refused=None if refused is None else tuple(refused),
    )


def _channels(found: Mapping[int, Channel], channel_ids: Sequence[int]) -> list[Channel]:
    """The channels asked for, in their order; ``found`` holds those that exist."""
    if not channel_ids:
        raise ValidationFailed.field("channels", "give at least one channel id")
    if len(set(channel_ids)) != len(channel_ids):
        raise ValidationFailed.field("channels", "a channel appears twice")
    missing = [i for i in channel_ids if i not in found]
    if missing:
        raise ValidationFailed.field("channels", f"no such channel: {', '.join(map(str, missing))}")
    return [found[i] for i in channel_ids]


async def _setting(
    uow: UnitOfWork, command: SendCommand, principal: Principal, now: datetime
) -> tuple[SendSetting, auto.AutoMode, list[Channel]]:
    """The send's setting (department, rules; a single client's recipient read with them), what
    is left to the decisions, and the channels."""
    department_id = _department_id(command, principal)
    audience = command.audience
    single = audience.client_ids if len(set(audience.client_ids)) == 1 else ()
    # One read (one statement on PostgreSQL); the checks follow in the order they always had.
    setting = await uow.sends.setting(
        department_id,
        command.type_id,
        command.channel_ids,
        client_id=single[0] if single else None,
        now=now,
    )
    if setting.department is None:
        raise NotFound("department", department_id)
    if not setting.type_found:
        raise NotFound("communication type", command.type_id)
    mode = auto.auto_mode(command, setting.rules)
    channels = await _all_channels(uow) if mode.channels else _channels(setting.channels, command.channel_ids)
    return setting, mode, channels


def _department_id(command: SendCommand, principal: Principal) -> int:
    department_id = command.department_id or principal.department_id
    if department_id is None:
        raise ValidationFailed.field(
            "department_id", "the sender belongs to no department: name the department"
        )
    return department_id


async def _all_channels(uow: UnitOfWork) -> list[Channel]:
    """Every channel, for ``"channels": "auto"``: the decisions rank them and exclude the unusable."""
    return [c for c in await uow.channels.find(Query(limit=500)) if c.id is not None]


async def _audience(uow: UnitOfWork, command: SendCommand) -> list[ScheduledRecipient]:
    audience = command.audience
    given = [
        bool(audience.client_ids),
        audience.group_id is not None,
        audience.project_id is not None,
        bool(audience.recipients),
    ]
    if sum(given) != 1:
        raise ValidationFailed.field(
            "audience", "give exactly one of clientIds, groupId, projectId or recipients"
        )
    if audience.recipients:
        ids = [r.client_id for r in audience.recipients]
        if len(set(ids)) != len(ids):
            raise ValidationFailed.field("recipients", "a client appears twice")
        return list(audience.recipients)
    if audience.group_id is not None:
        if await uow.client_groups.get(audience.group_id) is None:
            raise NotFound("client group", audience.group_id)
        ids = await uow.sends.group_members(audience.group_id)
    elif audience.project_id is not None:
        if await uow.projects.get(audience.project_id) is None:
            raise NotFound("project", audience.project_id)
        ids = await uow.sends.project_clients(audience.project_id)
    else:
        ids = list(dict.fromkeys(audience.client_ids))
    return [ScheduledRecipient(client_id=i) for i in ids]


async def _recipients(
    uow: UnitOfWork,
    ids: Sequence[int],
    now: datetime,
    read: tuple[Client | None, SendFacts | None] | None,
) -> tuple[dict[int, Client], dict[int, SendFacts]]:
    """The clients of the audience, and what storage knows of them (``SendRepository.facts``);
    ``read``: a single client's, read with the setting."""
    if len(ids) == 1:  # a single send: both in one read, or with the setting
        client, facts = read if read is not None else await uow.sends.one_recipient(ids[0], now)
        return ({} if client is None else {ids[0]: client}), ({} if facts is None else {ids[0]: facts})
    clients = await uow.sends.clients(ids)
    return clients, await uow.sends.facts(ids, now)


def _employee_id(principal: Principal) -> int | None:
    return principal.id if principal.kind is PrincipalKind.EMPLOYEE else None


class _Rendered:
    """One client's rendered parts. ``cache``, shared by every client of the send: the HTML of a
    text that is the same for all."""

    __slots__ = ("cache", "html", "subject", "text")

    def __init__(
        self, subject: str | None, text: str | None, html: str | None, cache: dict[str, str]
    ) -> None:
        self.subject = subject
        self.text = text
        self.html = html
        self.cache = cache

    def html_of_text(self) -> str:
        text = self.text or ""
        if self.cache.get("text") == text:
            return self.cache["html"]
        made = html_from_text(text)
        self.cache.update(text=text, html=made)
        return made


class _Queueing:
    """The queue rows of a send's communications, each the one ``queued_message`` makes; what all
    rows share (the unsubscribe link's base) is prepared once, and rows are built without the
    frozen dataclass's per-field set-up (a bulk send makes one per client)."""

    def __init__(self, email: EmailIdentity) -> None:
        self._issue = email.tokens.issue
        self._unsubscribe = unsubscribe_url(email.public_url, "")
        self._domain = email.message_id_domain

    def of(
        self, communication: Communication, client: Client, channel: Channel, rendered: _Rendered
    ) -> QueuedMessage:
        kind, channel_id, client_id = channel.kind, channel.id or 0, client.id
        text = rendered.text or ""
        html: str | None = None
        headers: dict[str, str] = {}
        if kind is ChannelKind.EMAIL:
            token = self._issue(client_id or 0, channel_id)
            headers = email_headers(
                uuid=communication.uuid, domain=self._domain, unsubscribe=self._unsubscribe + token
            )
            html = rendered.html or rendered.html_of_text()
        made = object.__new__(QueuedMessage)
        made.__dict__.update(
            communication_id=0,  # given when stored, with the communication's
            uuid=communication.uuid,
            client_id=client_id,
            channel_id=channel_id,
            channel_kind=kind,
            due_at=communication.scheduled_at or communication.create_time,
            to=address(client, kind),
            subject=rendered.subject,
            text=text,
            html=html,
            headers=headers,
            attempts=0,
        )
        return made


class _Rendering:
    """Renders a send's templates per client; one that reads no ``client`` is rendered once.

    Per client, only the client fields the templates read are gathered, and each template renders
    through a renderer that prepared the request's variables once.
    """

    def __init__(self, templates: _Templates, variables: Mapping[str, object]) -> None:
        self._variables = variables
        self._templates = (templates.subject, templates.text, templates.html)
        self._fixed: list[str | None] = [None, None, None]
        self._per_client = [t is not None and "client" in t.references for t in self._templates]
        self._renderers = [
            t.renderer(variables) if t is not None and per else None
            for t, per in zip(self._templates, self._per_client, strict=True)
        ]
        read = [
            t.attributes_read("client") for t in self._templates if t is not None and "client" in t.references
        ]
        self._fields = None if None in read else frozenset().union(*(r for r in read if r is not None))
        self._names = _client_names() if self._fields is None else _client_names_among(self._fields)
        self._full_name = self._fields is None or "fullName" in self._fields
        self._any_per_client = any(self._per_client)
        self._cache: dict[str, str] = {}
        self._rendered = False

    def of(self, client: Client) -> _Rendered:
        if not self._rendered:
            # Fixed parts once, on the first accepted client: their mistakes surface as before.
            self._fixed = [
                t.render(self._variables) if t is not None and not per else None
                for t, per in zip(self._templates, self._per_client, strict=True)
            ]
            self._rendered = True
        if self._any_per_client:
            values = {"client": self._client_values(client)}
            subject, text, html = (
                fixed if render is None else render(values)
                for render, fixed in zip(self._renderers, self._fixed, strict=True)
            )
            return _Rendered(subject, text, html, self._cache)
        return _Rendered(self._fixed[0], self._fixed[1], self._fixed[2], self._cache)

    def _client_values(self, client: Client) -> dict[str, object]:
        """``client_values(client, self._fields)``, with the names looked up once for the send."""
        values: dict[str, object] = {api: getattr(client, name) for name, api in self._names}
        if self._full_name:
            values["fullName"] = client.full_name
        return values


def template_name(attribute: str) -> str:
    """How templates name a client field: its API name (``first_name`` -> ``firstName``), as documented."""
    head, *rest = attribute.split("_")
    return head + "".join(part.capitalize() for part in rest)


async def _complete_if_nothing_queued(
    uow: UnitOfWork, record: SendRecord, queued: Sequence[object], now: datetime
) -> None:
    # Everybody was refused: nothing will ever finish in this send, so it is complete now.
    if not queued and record.id is not None:
        mailings = await uow.mailing_runs.mailings_of_sends({record.id})
        await announce_completed(uow, [record.id], mailings, now)
