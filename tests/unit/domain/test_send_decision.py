"""The send decision per client and channel: every documented refusal, fallback and deferral."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from domain.access import Grant, Permission, Principal, PrincipalKind
from domain.availability import Owner
from domain.clients import Booking, ChannelBlock, Client
from domain.dictionaries import ChannelKind
from domain.rules import QuietHours, QuietHoursPolicy, Rule
from domain.sending.decision import (
    Accepted,
    AudienceDecider,
    ChannelFacts,
    Recipient,
    Refused,
    SendContext,
    decide,
    has_contact,
)
from domain.sending.refusals import CLIENT_WIDE, RefusalReason

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday, 12:00 in Moscow
SMS = ChannelFacts(id=1, kind=ChannelKind.SMS, dispatchable=True, name="SMS")
EMAIL = ChannelFacts(id=3, kind=ChannelKind.EMAIL, dispatchable=True, name="Email")
MESSENGER = ChannelFacts(id=2, kind=ChannelKind.MESSENGER, dispatchable=True, name="Messenger")
PUSH = ChannelFacts(id=4, kind=ChannelKind.PUSH, dispatchable=True, name="Push")
CALL = ChannelFacts(id=6, kind=ChannelKind.CALL, dispatchable=False, name="Call")
MASS = 1


def sender(*grants: Grant, department_id: int | None = 10) -> Principal:
    every = (Grant(permission=Permission.SEND_COMMUNICATIONS),)
    return Principal(
        kind=PrincipalKind.EMPLOYEE, id=5, login="ivan", grants=grants or every, department_id=department_id
    )


def rule(**values: Any) -> Rule:
    return Rule(**{"department_id": 10, "name": "Default", "create_time": NOW, "update_time": NOW, **values})


def context(*rules: Rule, **values: Any) -> SendContext:
    return SendContext(
        **{"type_id": MASS, "sender": sender(), "rules": rules, "now": NOW, "owner": Owner(10, 5), **values}
    )


def recipient(**values: Any) -> Recipient:
    base: dict[str, Any] = {
        "client_id": 7,
        "time_zone": "Europe/Moscow",
        "phones": ("+79001234567",),
        "email": "ivan@example.com",
    }
    return Recipient(**{**base, **values})


def refused(decision: Accepted | Refused) -> Refused:
    assert isinstance(decision, Refused), decision
    return decision


def accepted(decision: Accepted | Refused) -> Accepted:
    assert isinstance(decision, Accepted), decision
    return decision


def test_a_client_with_nothing_against_them_is_accepted_now_on_the_first_channel() -> None:
    decision = accepted(decide(context(), recipient(), [SMS, EMAIL]))
    assert (decision.channel_id, decision.scheduled_at, decision.passed_over) == (SMS.id, NOW, ())


def test_a_later_requested_time_is_kept_and_an_earlier_one_means_now() -> None:
    later = NOW + timedelta(hours=2)
    assert accepted(decide(context(), recipient(at=later), [SMS])).scheduled_at == later
    assert accepted(decide(context(), recipient(at=NOW - timedelta(days=1)), [SMS])).scheduled_at == NOW


def test_not_permitted_when_the_sender_lacks_the_grant_for_type_and_channel() -> None:
    only_email = Grant(permission=Permission.SEND_COMMUNICATIONS, channel_ids=frozenset({EMAIL.id}))
    decision = refused(decide(context(sender=sender(only_email)), recipient(), [SMS]))
    assert decision.reason is RefusalReason.NOT_PERMITTED
    assert decision.refusals[0].channel_id == SMS.id


def test_not_permitted_when_the_department_rule_does_not_allow_the_channel() -> None:
    decision = refused(decide(context(rule(allowed_channel_ids=[EMAIL.id])), recipient(), [SMS]))
    assert decision.reason is RefusalReason.NOT_PERMITTED
    assert "rule 'Default'" in decision.message


def test_an_inactive_rule_does_not_apply() -> None:
    off = rule(allowed_channel_ids=[EMAIL.id], active=False)
    assert accepted(decide(context(off), recipient(), [SMS])).channel_id == SMS.id


def test_unavailable_when_the_client_opted_out() -> None:
    assert refused(decide(context(), recipient(available=False), [SMS])).reason is RefusalReason.UNAVAILABLE


def test_channel_blocked_while_the_block_lasts() -> None:
    block = ChannelBlock(
        client_id=7, channel_id=SMS.id, until=NOW + timedelta(days=1), create_time=NOW, update_time=NOW
    )
    decision = refused(decide(context(), recipient(blocks=(block,)), [SMS]))
    assert decision.reason is RefusalReason.CHANNEL_BLOCKED
    after = recipient(blocks=(block,), at=NOW + timedelta(days=2))
    assert accepted(decide(context(), after, [SMS])).channel_id == SMS.id


def test_booked_when_another_owner_holds_the_client() -> None:
    theirs = Booking(
        client_id=7, before_date=NOW + timedelta(days=1), department_id=99, create_time=NOW, update_time=NOW
    )
    decision = refused(decide(context(), recipient(bookings=(theirs,)), [SMS]))
    assert decision.reason is RefusalReason.BOOKED
    ours = Booking(
        client_id=7, before_date=NOW + timedelta(days=1), department_id=10, create_time=NOW, update_time=NOW
    )
    assert accepted(decide(context(), recipient(bookings=(ours,)), [SMS]))


def test_frequency_cap_per_day_and_per_week() -> None:
    capped = rule(max_per_day=2, max_per_week=5)
    assert accepted(decide(context(capped), recipient(sent_today=1, sent_this_week=4), [SMS]))
    day = refused(decide(context(capped), recipient(sent_today=2, sent_this_week=2), [SMS]))
    week = refused(decide(context(capped), recipient(sent_today=0, sent_this_week=5), [SMS]))
    assert day.reason is week.reason is RefusalReason.FREQUENCY_CAP
    assert "today" in day.message
    assert "this week" in week.message


def test_min_interval_counts_from_the_last_message() -> None:
    spaced = rule(min_interval_minutes=60)
    too_soon = recipient(last_sent_at=NOW - timedelta(minutes=59))
    assert refused(decide(context(spaced), too_soon, [SMS])).reason is RefusalReason.MIN_INTERVAL
    assert accepted(decide(context(spaced), recipient(last_sent_at=NOW - timedelta(minutes=60)), [SMS]))


def test_quiet_hours_under_drop_refuse() -> None:
    lunch = rule(quiet_hours=QuietHours(time(11, 0), time(13, 0), QuietHoursPolicy.DROP))
    decision = refused(decide(context(lunch), recipient(), [SMS]))
    assert decision.reason is RefusalReason.QUIET_HOURS
    assert "drop" in decision.message


def test_quiet_hours_under_defer_hold_to_the_next_allowed_minute_in_the_client_zone() -> None:
    lunch = rule(quiet_hours=QuietHours(time(11, 0), time(13, 0)))
    decision = accepted(decide(context(lunch), recipient(), [SMS]))
    assert decision.scheduled_at == datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # 13:00 in Moscow


def test_a_client_without_a_time_zone_is_read_in_the_department_zone() -> None:
    lunch = rule(quiet_hours=QuietHours(time(11, 0), time(13, 0)))
    in_utc = accepted(decide(context(lunch), recipient(time_zone=None), [SMS]))
    assert in_utc.scheduled_at == NOW  # 09:00 UTC is not quiet
    in_moscow = accepted(
        decide(context(lunch, default_time_zone="Europe/Moscow"), recipient(time_zone=None), [SMS])
    )
    assert in_moscow.scheduled_at == datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def test_weekday_refuses_a_day_the_rule_does_not_allow() -> None:
    weekend_only = rule(allowed_weekdays=[5, 6])
    decision = refused(decide(context(weekend_only), recipient(), [SMS]))
    assert decision.reason is RefusalReason.WEEKDAY
    assert "Monday" in decision.message


def test_no_contact_for_each_channel_kind() -> None:
    bare = recipient(phones=(), email=None)
    for channel in (SMS, EMAIL, MESSENGER, PUSH):
        assert refused(decide(context(), bare, [channel])).reason is RefusalReason.NO_CONTACT, channel


def test_messenger_needs_a_telegram_or_whatsapp_handle_or_a_linked_chat() -> None:
    assert not has_contact(recipient(messenger_networks=frozenset({"vk"})), ChannelKind.MESSENGER)
    assert has_contact(recipient(messenger_networks=frozenset({"telegram"})), ChannelKind.MESSENGER)
    assert has_contact(recipient(messenger_networks=frozenset({"whatsapp"})), ChannelKind.MESSENGER)
    assert has_contact(recipient(has_linked_chat=True), ChannelKind.MESSENGER)
    assert has_contact(recipient(has_push_subscription=True), ChannelKind.PUSH)


def test_not_dispatchable_when_the_channel_has_no_provider_or_is_inactive() -> None:
    assert refused(decide(context(), recipient(), [CALL])).reason is RefusalReason.NOT_DISPATCHABLE
    off = ChannelFacts(id=3, kind=ChannelKind.EMAIL, dispatchable=True, active=False)
    assert refused(decide(context(), recipient(), [off])).reason is RefusalReason.NOT_DISPATCHABLE


def test_a_refused_channel_falls_back_to_the_next_in_the_priority_list() -> None:
    decision = accepted(decide(context(), recipient(phones=()), [CALL, SMS, EMAIL]))
    assert decision.channel_id == EMAIL.id
    assert [r.reason for r in decision.passed_over] == [
        RefusalReason.NOT_DISPATCHABLE,
        RefusalReason.NO_CONTACT,
    ]


def test_when_every_channel_is_refused_the_first_reason_leads_and_all_are_told() -> None:
    decision = refused(decide(context(), recipient(phones=(), email=None), [SMS, CALL, EMAIL]))
    assert decision.reason is RefusalReason.NO_CONTACT
    assert [r.channel_id for r in decision.refusals] == [SMS.id, CALL.id, EMAIL.id]
    assert "SMS" in decision.message and "Call" in decision.message


def test_no_channel_at_all_is_refused_not_dropped() -> None:
    assert refused(decide(context(), recipient(), [])).reason is RefusalReason.NOT_DISPATCHABLE


def test_recipient_of_a_client_takes_its_contact_data() -> None:
    client = Client(
        id=7,
        phones=["+79001234567"],
        email="a@example.com",
        social_media={"telegram": "@a"},
        time_zone="Europe/Moscow",
        create_time=NOW,
        update_time=NOW,
    )
    facts = Recipient.of(client, sent_today=3)
    assert (facts.client_id, facts.email, facts.sent_today) == (7, "a@example.com", 3)
    assert facts.messenger_networks == {"telegram"}


# --- properties --------------------------------------------------------------------------------

CHANNELS = st.lists(st.sampled_from([SMS, EMAIL, MESSENGER, PUSH, CALL]), unique=True, max_size=5)
RECIPIENTS = st.builds(
    recipient,
    available=st.booleans(),
    phones=st.sampled_from([(), ("+79001234567",), ("+79000000000",)]),
    email=st.sampled_from([None, "a@example.com"]),
    messenger_networks=st.sampled_from([frozenset(), frozenset({"telegram"})]),
    has_push_subscription=st.booleans(),
    sent_today=st.integers(0, 4),
    sent_this_week=st.integers(0, 10),
    at=st.one_of(st.none(), st.integers(-120, 3000).map(lambda m: NOW + timedelta(minutes=m))),
    time_zone=st.sampled_from([None, "Europe/Moscow", "America/New_York"]),
)
RULES = st.builds(
    rule,
    max_per_day=st.sampled_from([None, 2]),
    max_per_week=st.sampled_from([None, 5]),
    quiet_hours=st.sampled_from(
        [
            None,
            QuietHours(time(22, 0), time(8, 0)),
            QuietHours(time(12, 0), time(14, 0), QuietHoursPolicy.DROP),
        ]
    ),
    allowed_weekdays=st.sampled_from([list(range(7)), [0, 1, 2, 3, 4]]),
)


@given(RULES, RECIPIENTS, CHANNELS)
def test_every_client_is_either_accepted_on_a_listed_channel_or_refused_with_reasons(
    the_rule: Rule, the_recipient: Recipient, channels: list[ChannelFacts]
) -> None:
    decision = decide(context(the_rule), the_recipient, channels)
    if isinstance(decision, Accepted):
        assert decision.channel_id in [c.id for c in channels]
        # Every channel before the chosen one was refused for a reason of its own.
        before = [c.id for c in channels][: [c.id for c in channels].index(decision.channel_id)]
        assert [r.channel_id for r in decision.passed_over] == before
        assert decision.scheduled_at >= max(the_recipient.at or NOW, NOW)
    else:
        assert decision.refusals
        if decision.reason in CLIENT_WIDE:
            assert len(decision.refusals) == 1 and decision.refusals[0].channel_id is None
        else:
            assert [r.channel_id for r in decision.refusals] == [c.id for c in channels] or not channels


@given(RULES, RECIPIENTS, CHANNELS)
def test_the_decision_is_deterministic(
    the_rule: Rule, the_recipient: Recipient, channels: list[ChannelFacts]
) -> None:
    assert decide(context(the_rule), the_recipient, channels) == decide(
        context(the_rule), the_recipient, channels
    )


# -- the whole audience at once ------------------------------------------------------------------

_ZONES = st.sampled_from([None, "Europe/Moscow", "Asia/Vladivostok", "America/New_York"])
_CLIENTS = st.builds(
    lambda i, available, zone, phone, email, networks: Client(
        id=i,
        first_name=f"c{i}",
        available=available,
        time_zone=zone,
        phones=["+79001234567"] if phone else [],
        email="c@example.com" if email else None,
        social_media={n: "handle" for n in networks} or None,
        create_time=NOW,
        update_time=NOW,
    ),
    st.integers(1, 10**6),
    st.booleans(),
    _ZONES,
    st.booleans(),
    st.booleans(),
    st.sets(st.sampled_from(["telegram", "whatsapp", "vk"])),
)
_FACTS = st.none() | st.fixed_dictionaries(
    {"sent_today": st.integers(0, 3), "last_sent_at": st.none() | st.just(NOW - timedelta(minutes=30))}
)
_RULES = st.lists(
    st.builds(
        rule,
        max_per_day=st.none() | st.integers(1, 2),
        min_interval_minutes=st.none() | st.just(60),
        allowed_weekdays=st.sampled_from([list(range(7)), [5, 6]]),
        quiet_hours=st.none()
        | st.builds(
            QuietHours,
            start=st.just(time(22, 0)),
            end=st.just(time(13, 0)),
            policy=st.sampled_from(QuietHoursPolicy),
        ),
    ),
    max_size=2,
)


@given(
    rules=_RULES,
    audience=st.lists(
        st.tuples(_CLIENTS, _FACTS, st.none() | st.just(NOW + timedelta(hours=5))), min_size=1, max_size=10
    ),
    channels=st.lists(st.sampled_from([SMS, EMAIL, MESSENGER, PUSH, CALL]), unique=True, max_size=3),
)
def test_the_audience_decider_decides_every_client_as_decide_does(
    rules: list[Rule],
    audience: list[tuple[Client, dict[str, Any] | None, datetime | None]],
    channels: list[Any],
) -> None:
    send = context(*rules)
    decider = AudienceDecider(send)
    for client, facts, at in audience:
        # Each client with twins that differ in one thing the rules see: none may share its answer.
        twins = [
            replace(client, available=not client.available),
            replace(client, email=None if client.email else "twin@example.com"),
            replace(client, phones=[] if client.phones else ["+79007654321"]),
            replace(client, social_media=None if client.social_media else {"telegram": "twin"}),
            replace(client, time_zone="Asia/Vladivostok" if client.time_zone else "America/New_York"),
        ]
        for one in [client, *twins]:
            expected = decide(send, Recipient.of(one, **(facts or {}), at=at), channels)
            assert decider.decide(one, facts, at, channels) == expected
        for later in (None, NOW + timedelta(days=1)):
            expected = decide(send, Recipient.of(client, at=later), channels)
            assert decider.decide(client, None, later, channels) == expected
