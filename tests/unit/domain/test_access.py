"""Who may do what: permissions, scoped sending grants, and the administrator's all-access."""

from __future__ import annotations

import pytest

from domain.access import Grant, Permission, Principal, PrincipalKind, Process, merge_grants
from domain.errors import PermissionDenied

P = Permission
SMS, EMAIL = 1, 2
MASS, PERSONAL = 10, 20


def principal(*grants: Grant, kind: PrincipalKind = PrincipalKind.EMPLOYEE) -> Principal:
    return Principal(kind=kind, id=5, login="someone", grants=grants)


def send(types: set[int] | None = None, channels: set[int] | None = None) -> Grant:
    return Grant(
        permission=P.SEND_COMMUNICATIONS,
        type_ids=frozenset(types or ()),
        channel_ids=frozenset(channels or ()),
    )


def test_a_principal_has_exactly_the_permissions_of_its_grants() -> None:
    reader = principal(Grant(permission=P.READ_STATISTICS))
    assert reader.has(P.READ_STATISTICS)
    assert not reader.has(P.MANAGE_CLIENTS)
    assert not reader.has(P.MANAGE_SYSTEM)
    assert not reader.has(P.SEND_COMMUNICATIONS)


def test_no_grants_means_no_permissions() -> None:
    nobody = principal()
    assert not any(nobody.has(p) for p in Permission)


@pytest.mark.parametrize("permission", list(Permission))
def test_managing_the_system_implies_every_permission(permission: Permission) -> None:
    admin = principal(Grant(permission=P.MANAGE_SYSTEM))
    assert admin.has(permission)
    admin.require(permission)


def test_managing_clients_implies_nothing_else() -> None:
    manager = principal(Grant(permission=P.MANAGE_CLIENTS))
    assert [p for p in Permission if manager.has(p)] == [P.MANAGE_CLIENTS]


def test_require_names_the_missing_permission() -> None:
    with pytest.raises(PermissionDenied) as denied:
        principal(Grant(permission=P.MANAGE_CLIENTS)).require(P.MANAGE_SYSTEM)
    assert denied.value.permission == "manage_system"
    assert denied.value.message == "missing permission 'manage_system'"


def test_an_unscoped_send_grant_allows_every_type_on_every_channel() -> None:
    sender = principal(send())
    for type_id, channel_id in [(MASS, SMS), (PERSONAL, EMAIL), (999, 999)]:
        sender.require_send(type_id, channel_id)


def test_a_send_grant_scoped_to_types_allows_those_types_on_any_channel() -> None:
    sender = principal(send(types={MASS}))
    sender.require_send(MASS, SMS)
    sender.require_send(MASS, EMAIL)
    with pytest.raises(PermissionDenied) as denied:
        sender.require_send(PERSONAL, SMS)
    assert denied.value.permission == "send_communications"
    assert "communication type 20 on channel 1" in denied.value.message


def test_a_send_grant_scoped_to_channels_allows_any_type_on_those_channels() -> None:
    sender = principal(send(channels={EMAIL}))
    sender.require_send(MASS, EMAIL)
    sender.require_send(PERSONAL, EMAIL)
    with pytest.raises(PermissionDenied):
        sender.require_send(MASS, SMS)


def test_a_send_grant_scoped_both_ways_needs_both_to_match() -> None:
    sender = principal(send(types={MASS}, channels={SMS}))
    sender.require_send(MASS, SMS)
    for type_id, channel_id in [(MASS, EMAIL), (PERSONAL, SMS), (PERSONAL, EMAIL)]:
        with pytest.raises(PermissionDenied):
            sender.require_send(type_id, channel_id)


def test_grants_of_several_roles_add_up() -> None:
    sender = principal(send(types={MASS}, channels={SMS}), send(types={PERSONAL}, channels={EMAIL}))
    sender.require_send(MASS, SMS)
    sender.require_send(PERSONAL, EMAIL)
    with pytest.raises(PermissionDenied):
        sender.require_send(MASS, EMAIL)


def test_the_administrator_may_send_anything_anywhere() -> None:
    principal(Grant(permission=P.MANAGE_SYSTEM)).require_send(PERSONAL, EMAIL)


def test_scopes_on_other_permissions_do_not_allow_sending() -> None:
    manager = principal(Grant(permission=P.MANAGE_CLIENTS, type_ids=frozenset({MASS})))
    assert not manager.grants[0].allows_send(MASS, SMS)
    with pytest.raises(PermissionDenied):
        manager.require_send(MASS, SMS)


def test_has_send_says_some_sending_is_allowed_whatever_its_scope() -> None:
    assert principal(send(types={MASS})).has(P.SEND_COMMUNICATIONS)


def test_the_actor_names_the_kind_and_id_for_history() -> None:
    assert principal().actor == "employee:5"
    assert principal(kind=PrincipalKind.SERVICE_ACCOUNT).actor == "service_account:5"


def test_merged_grants_drop_duplicates_and_keep_first_seen_order() -> None:
    admin, scoped = Grant(permission=P.MANAGE_SYSTEM), send(types={MASS})
    merged = merge_grants([[scoped, admin], [send(types={MASS}), Grant(permission=P.READ_STATISTICS)], []])
    assert merged == (scoped, admin, Grant(permission=P.READ_STATISTICS))
    assert merge_grants([]) == ()


def test_a_process_is_named_in_history_by_its_name_and_holds_only_the_permissions_it_was_given() -> None:
    dispatcher = Principal.process(Process.DISPATCHER, Permission.SEND_COMMUNICATIONS)
    assert dispatcher.kind is PrincipalKind.PROCESS
    assert dispatcher.actor == "process:dispatcher"
    assert dispatcher.has(Permission.SEND_COMMUNICATIONS)
    assert not dispatcher.has(Permission.MANAGE_CLIENTS)
    with pytest.raises(PermissionDenied):
        dispatcher.require(Permission.MANAGE_SYSTEM)
