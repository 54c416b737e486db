"""/stats/availability weighs the department rules' weekdays and quiet hours in each client's zone,
on every storage (the zone counts are storage queries, the windows the send decision's functions)."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from application.decisions.statistics import (
    NOT_A_WEEKDAY,
    OPTED_OUT,
    QUIET_HOURS,
    Statistics,
    StatsQuery,
)
from domain.availability import Owner
from domain.clients import Client, ClientGroup
from domain.errors import NotFound
from domain.organisation import Company, Department
from domain.rules import QuietHours, QuietHoursPolicy, Rule
from tests.support.clock import ManualClock

# Tuesday 22:30 UTC: Wednesday 01:30 in Moscow, Wednesday 08:30 in Vladivostok, Tuesday 17:30 in
# New York, Tuesday 22:30 in London.
LATE_TUESDAY = datetime(2026, 12, 1, 22, 30, tzinfo=UTC)
# Tuesday noon UTC: Tuesday everywhere below, and outside 00:00-06:00 everywhere.
TUESDAY_NOON = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


async def arrange(uow_factory: Any, now: datetime) -> dict[str, int]:
    async with uow_factory() as uow:
        company = await uow.companies.add(Company(name="Acme", code="acme", create_time=now, update_time=now))
        department = await uow.departments.add(
            Department(
                company_id=company.id,
                name="Sales",
                code="sales",
                time_zone="Europe/Moscow",
                create_time=now,
                update_time=now,
            )
        )
        stamps = {"department_id": department.id, "create_time": now, "update_time": now}
        rules = [
            Rule(name="no wednesdays", allowed_weekdays=[0, 1, 3, 4, 5, 6], **stamps),
            Rule(name="nights", quiet_hours=QuietHours(time(0), time(6), QuietHoursPolicy.DEFER), **stamps),
            # An inactive rule keeps nobody away.
            Rule(name="sundays only", allowed_weekdays=[6], active=False, **stamps),
        ]
        for rule in rules:
            await uow.rules.add(rule)
        ids: dict[str, int] = {"department": department.id}
        for name, zone, available in (
            ("new_york", "America/New_York", True),
            ("vladivostok", "Asia/Vladivostok", True),
            ("no_zone", None, True),  # the department's zone: Moscow
            ("moscow_opted_out", "Europe/Moscow", False),
            ("london", "Europe/London", True),
        ):
            client = await uow.clients.add(
                Client(
                    first_name=name,
                    time_zone=zone,
                    available=available,
                    phones=[],
                    create_time=now,
                    update_time=now,
                )
            )
            ids[name] = client.id
        group = await uow.client_groups.add(ClientGroup(name="East", create_time=now, update_time=now))
        await uow.client_groups.add_members(group.id, [ids["new_york"], ids["vladivostok"]])
        ids["group"] = group.id
        await uow.commit()
    return ids


def counted(found: Any) -> dict[str, int]:
    return {r.reason: r.clients for r in found.reasons}


async def test_the_rules_hours_keep_clients_away_in_their_own_zone(uow_factory: Any) -> None:
    clock = ManualClock(LATE_TUESDAY)
    ids = await arrange(uow_factory, clock.now())
    stats = Statistics(uow_factory, clock)
    department = ids["department"]

    everybody = await stats.availability(StatsQuery(department_id=department))
    # New York and London may be reached; Vladivostok is on Wednesday; the client with no zone is
    # on Wednesday 01:30 in Moscow (both rules); the opted-out client counts only as opted out.
    assert (everybody.clients, everybody.contactable_now) == (5, 2)
    assert counted(everybody) == {OPTED_OUT: 1, NOT_A_WEEKDAY: 2, QUIET_HOURS: 1}
    assert [r.reason for r in everybody.reasons] == [OPTED_OUT, NOT_A_WEEKDAY, QUIET_HOURS]

    # The asker's department applies when the query names none.
    asked_by = await stats.availability(StatsQuery(), Owner(department_id=department))
    assert (asked_by.contactable_now, counted(asked_by)) == (2, counted(everybody))
    # Without a department there are no rules to weigh: only the opt-out keeps one away.
    no_rules = await stats.availability(StatsQuery())
    assert (no_rules.contactable_now, counted(no_rules)) == (4, {OPTED_OUT: 1})

    east = await stats.availability(StatsQuery(department_id=department, group_id=ids["group"]))
    assert (east.clients, east.contactable_now, counted(east)) == (2, 1, {NOT_A_WEEKDAY: 1})

    nobody_zone = await stats.availability(StatsQuery(department_id=department, client_id=ids["no_zone"]))
    assert nobody_zone.contactable_now == 0
    assert [r.reason for r in nobody_zone.reasons] == [
        "rule 'no wednesdays' does not allow sending on Wednesday in the client's time zone (Europe/Moscow)",
        "01:30 is within the quiet hours of rule 'nights' (00:00-06:00, Europe/Moscow)",
    ]
    far_east = await stats.availability(StatsQuery(department_id=department, client_id=ids["vladivostok"]))
    assert [r.reason for r in far_east.reasons] == [
        "rule 'no wednesdays' does not allow sending on Wednesday "
        "in the client's time zone (Asia/Vladivostok)"
    ]
    new_york = await stats.availability(StatsQuery(department_id=department, client_id=ids["new_york"]))
    assert (new_york.contactable_now, new_york.reasons) == (1, [])


async def test_the_answer_follows_the_clock(uow_factory: Any) -> None:
    clock = ManualClock(LATE_TUESDAY)
    ids = await arrange(uow_factory, clock.now())
    stats = Statistics(uow_factory, clock)
    clock.current = TUESDAY_NOON
    found = await stats.availability(StatsQuery(department_id=ids["department"]))
    assert (found.contactable_now, counted(found)) == (4, {OPTED_OUT: 1})
    one = await stats.availability(StatsQuery(department_id=ids["department"], client_id=ids["no_zone"]))
    assert (one.contactable_now, one.reasons) == (1, [])


async def test_an_unknown_department_is_not_found(uow_factory: Any) -> None:
    clock = ManualClock(LATE_TUESDAY)
    await arrange(uow_factory, clock.now())
    stats = Statistics(uow_factory, clock)
    for query in (StatsQuery(department_id=999), StatsQuery(department_id=999, client_id=1)):
        try:
            await stats.availability(query)
        except NotFound as error:
            assert "department" in str(error)
        else:
            raise AssertionError(f"{query} answered")
