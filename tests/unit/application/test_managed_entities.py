"""The generic catalog rules on in-memory storage: naming, uniqueness, references, paging, changes.

The real companies and departments exercise each rule; the organisation's other catalogs at the
end show the rules they add on top (department cycles, logins across users, hashed passwords).
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import pytest

from adapters.memory.unit_of_work import MemoryUnitOfWorkFactory
from application.authentication import CredentialCache
from application.organisation import Companies, Departments, Employees, Roles, ServiceAccounts
from application.queries import MAX_PAGE_SIZE, Query
from application.searches import CompanyFields
from domain.access import Grant, Permission, Principal, PrincipalKind
from domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from domain.organisation import Company, Employee, Role
from tests.support.clock import ManualClock


class PlainHasher:
    """Readable hashes: the catalog's job is to hash, not how well."""

    def hash(self, password: str) -> str:
        return f"hashed:{password}"

    def verify(self, password_hash: str, password: str) -> bool:
        return password_hash == f"hashed:{password}"


@pytest.fixture
def storage() -> MemoryUnitOfWorkFactory:
    return MemoryUnitOfWorkFactory()


@pytest.fixture
def companies(storage: MemoryUnitOfWorkFactory, clock: ManualClock) -> Companies:
    return Companies(storage, clock)


@pytest.fixture
def departments(storage: MemoryUnitOfWorkFactory, clock: ManualClock) -> Departments:
    return Departments(storage, clock)


async def make_companies(companies: Companies, *names: str) -> list[Company]:
    return [
        await companies.create(companies.command(name=name, code=f"c{i}")) for i, name in enumerate(names)
    ]


# -- reading ---------------------------------------------------------------------------------


async def test_get_answers_not_found_naming_the_kind_and_id(companies: Companies) -> None:
    with pytest.raises(NotFound) as missing:
        await companies.get(42)
    assert (missing.value.kind, missing.value.key) == ("company", 42)


async def test_a_numeric_key_is_always_an_id(companies: Companies) -> None:
    first = await companies.create(companies.command(name="Acme", code="7"))
    assert (await companies.find(str(first.id))).name == "Acme"
    assert (await companies.find(first.id or 0)).name == "Acme"
    with pytest.raises(NotFound):
        await companies.find("7")


@pytest.mark.parametrize("key", ["²", "¹²", "٣"])
async def test_keys_that_only_look_numeric_answer_not_found(companies: Companies, key: str) -> None:
    await make_companies(companies, "Acme")
    with pytest.raises(NotFound):
        await companies.find(key)


async def test_ascii_digits_beyond_64_bits_are_refused_as_an_id(companies: Companies) -> None:
    await make_companies(companies, "Acme")
    with pytest.raises(ValidationFailed):
        await companies.find("99999999999999999999999999")


async def test_find_tries_each_key_field_exactly_in_order(companies: Companies) -> None:
    by_name = await companies.create(companies.command(name="north", code="n1"))
    by_code = await companies.create(companies.command(name="North Holding", code="north"))
    # Both are "north" in some field; the code is the first key field, so it wins.
    assert (await companies.find("north")).id == by_code.id
    assert (await companies.find("n1")).id == by_name.id
    assert (await companies.find("North Holding")).id == by_code.id


async def test_find_falls_back_to_a_case_blind_match(companies: Companies) -> None:
    acme = await companies.create(companies.command(name="Acme Trading", code="ACME"))
    assert (await companies.find("acme")).id == acme.id
    assert (await companies.find("ACME trading")).id == acme.id


async def test_a_case_blind_match_is_found_among_many_similar_names(companies: Companies) -> None:
    await make_companies(companies, "Big Acme", "Acme Group", "Acme Labs")
    acme = await companies.create(companies.command(name="ACME", code="a"))
    assert (await companies.find("acme")).id == acme.id


async def test_an_ambiguous_case_blind_key_is_not_found(companies: Companies) -> None:
    await make_companies(companies, "Acme", "ACME")
    assert (await companies.find("Acme")).name == "Acme"
    with pytest.raises(NotFound) as missing:
        await companies.find("acme")
    assert missing.value.key == "acme"


@pytest.mark.parametrize(("limit", "offset", "field"), [(0, 0, "limit"), (MAX_PAGE_SIZE + 1, 0, "limit")])
async def test_list_refuses_a_page_size_out_of_bounds(
    companies: Companies, limit: int, offset: int, field: str
) -> None:
    with pytest.raises(ValidationFailed) as error:
        await companies.list(Query(limit=limit, offset=offset))
    assert error.value.errors == [FieldError(field, f"must be between 1 and {MAX_PAGE_SIZE}")]


async def test_list_refuses_a_negative_offset(companies: Companies) -> None:
    with pytest.raises(ValidationFailed) as error:
        await companies.list(Query(offset=-1))
    assert error.value.errors == [FieldError("offset", "must not be negative")]


async def test_list_pages_in_order_and_counts_everything(companies: Companies) -> None:
    await make_companies(companies, "Delta", "Alpha", "Charlie", "Bravo")
    page = await companies.list(Query(order_by=("name",), limit=2, offset=1))
    assert [c.name for c in page.items] == ["Bravo", "Charlie"]
    assert (page.total, page.limit, page.offset) == (4, 2, 1)
    last = await companies.list(Query(order_by=("-name",), limit=MAX_PAGE_SIZE, offset=3))
    assert [c.name for c in last.items] == ["Alpha"]
    beyond = await companies.list(Query(offset=10))
    assert (beyond.items, beyond.total) == ([], 4)


async def test_the_free_text_search_looks_in_every_search_field_ignoring_case(
    companies: Companies,
) -> None:
    await companies.create(companies.command(name="Northwind", code="nw"))
    await companies.create(companies.command(name="Contoso", code="north-2"))
    await companies.create(companies.command(name="Fabrikam", code="fb"))
    found = await companies.list(Query(), text="  NORTH ")
    assert sorted(c.name for c in found.items) == ["Contoso", "Northwind"]
    assert found.total == 2
    assert (await companies.list(Query(), text="   ")).total == 3


async def test_search_combines_with_filters(companies: Companies) -> None:
    [north, _] = await make_companies(companies, "North", "North Two")
    found = await companies.list(Query().where(CompanyFields.code.eq(north.code)), text="north")
    assert [c.id for c in found.items] == [north.id]


# -- uniqueness ------------------------------------------------------------------------------


async def test_a_duplicate_unique_field_is_a_conflict_naming_it(companies: Companies) -> None:
    await companies.create(companies.command(name="Acme", code="acme"))
    with pytest.raises(Conflict) as duplicate:
        await companies.create(companies.command(name="Other", code="acme"))
    assert duplicate.value.message == "a company with code 'acme' already exists"
    assert (await companies.list(Query())).total == 1


async def test_unique_fields_may_be_unique_together(companies: Companies, departments: Departments) -> None:
    first, second = await make_companies(companies, "A", "B")
    await departments.create(departments.command(company_id=first.id, name="Sales", code="sales"))
    await departments.create(departments.command(company_id=second.id, name="Sales", code="sales"))
    with pytest.raises(Conflict) as duplicate:
        await departments.create(departments.command(company_id=first.id, name="Sales 2", code="sales"))
    assert "company_id 1, code 'sales'" in duplicate.value.message


async def test_an_entity_does_not_conflict_with_itself_when_changed(companies: Companies) -> None:
    acme = await companies.create(companies.command(name="Acme", code="acme"))
    other = await companies.create(companies.command(name="Other", code="other"))
    assert (
        await companies.change(acme.id or 0, companies.patch(code="acme", name="Acme 2"))
    ).name == "Acme 2"
    with pytest.raises(Conflict):
        await companies.change(other.id or 0, companies.patch(code="acme"))
    assert (await companies.get(other.id or 0)).code == "other"


# -- references ------------------------------------------------------------------------------


async def test_references_must_point_at_something_that_exists(
    companies: Companies, departments: Departments
) -> None:
    with pytest.raises(ValidationFailed) as dangling:
        await departments.create(departments.command(company_id=5, parent_id=9, name="Sales", code="s"))
    assert dangling.value.errors == [
        FieldError("company_id", "no company with id 5"),
        FieldError("parent_id", "no department with id 9"),
    ]
    [acme] = await make_companies(companies, "Acme")
    built = await departments.create(
        departments.command(company_id=acme.id, parent_id=None, name="S", code="s")
    )
    assert built.parent_id is None


async def test_a_list_of_references_names_every_missing_id(storage: MemoryUnitOfWorkFactory) -> None:
    users = Employees(storage, ManualClock(), PlainHasher(), CredentialCache(ManualClock()))
    roles = Roles(storage, ManualClock(), CredentialCache(ManualClock()))
    role = await roles.create(roles.command(name="Operator"))
    with pytest.raises(ValidationFailed) as dangling:
        await users.create(employee_values(role_ids=[8, role.id, 3, 3]))
    assert dangling.value.errors == [FieldError("role_ids", "no role with id 3, 8")]


async def test_a_referenced_entity_cannot_be_deleted_and_says_by_what(
    companies: Companies, departments: Departments
) -> None:
    [acme] = await make_companies(companies, "Acme")
    parent = await departments.create(departments.command(company_id=acme.id, name="HQ", code="hq"))
    await departments.create(departments.command(company_id=acme.id, parent_id=parent.id, name="A", code="a"))
    await departments.create(departments.command(company_id=acme.id, parent_id=parent.id, name="B", code="b"))
    with pytest.raises(Conflict) as in_use:
        await companies.delete(acme.id or 0)
    assert in_use.value.references == {"departments": 3}
    with pytest.raises(Conflict) as in_use:
        await departments.delete(parent.id or 0)
    assert in_use.value.references == {"child departments": 2}
    assert "still referenced by 2 child departments" in in_use.value.message
    assert (await departments.get(parent.id or 0)).name == "HQ"


async def test_an_unreferenced_entity_is_deleted(companies: Companies, departments: Departments) -> None:
    [acme] = await make_companies(companies, "Acme")
    sales = await departments.create(departments.command(company_id=acme.id, name="Sales", code="s"))
    await departments.delete(sales.id or 0)
    await companies.delete(acme.id or 0)
    with pytest.raises(NotFound):
        await companies.get(acme.id or 0)
    with pytest.raises(NotFound):
        await companies.delete(acme.id or 0)


# -- changes ---------------------------------------------------------------------------------


async def test_a_change_keeps_the_creation_time_and_stamps_the_update(
    companies: Companies, clock: ManualClock
) -> None:
    created_at = clock.now()
    acme = await companies.create(companies.command(name="Acme", code="acme"))
    clock.advance(hours=1)
    changed = await companies.change(acme.id or 0, companies.patch(name="Acme Ltd"))
    assert (changed.name, changed.code) == ("Acme Ltd", "acme")
    assert (changed.create_time, changed.update_time) == (created_at, created_at + timedelta(hours=1))
    stored = await companies.get(acme.id or 0)
    assert (stored.name, stored.update_time) == ("Acme Ltd", changed.update_time)


async def test_a_change_names_only_fields_the_entity_has(companies: Companies) -> None:
    with pytest.raises(TypeError, match="colour"):
        companies.patch(name="X", colour="red")
    assert [f.name for f in dataclasses.fields(companies.patch)] == ["name", "code"]


async def test_a_change_of_another_kind_is_refused(companies: Companies, departments: Departments) -> None:
    acme = await companies.create(companies.command(name="Acme", code="acme"))
    with pytest.raises(TypeError, match="CompanyChange"):
        await companies.change(acme.id or 0, departments.patch(name="X"))
    assert (await companies.get(acme.id or 0)).name == "Acme"


async def test_a_change_is_validated_as_a_whole_and_stores_nothing_when_invalid(
    companies: Companies,
) -> None:
    acme = await companies.create(companies.command(name="Acme", code="acme"))
    with pytest.raises(ValidationFailed) as refused:
        await companies.change(acme.id or 0, companies.patch(name=" "))
    assert refused.value.errors == [FieldError("name", "must not be empty")]
    assert (await companies.get(acme.id or 0)).name == "Acme"


async def test_changing_something_unknown_is_not_found(companies: Companies) -> None:
    with pytest.raises(NotFound):
        await companies.change(3, companies.patch(name="X"))


async def test_an_empty_patch_changes_only_the_update_time(companies: Companies, clock: ManualClock) -> None:
    acme = await companies.create(companies.command(name="Acme", code="acme"))
    clock.advance(minutes=1)
    changed = await companies.change(acme.id or 0, companies.patch())
    assert (changed.name, changed.code, changed.update_time) == ("Acme", "acme", clock.now())


async def test_an_invalid_new_entity_is_not_stored(companies: Companies) -> None:
    with pytest.raises(ValidationFailed):
        await companies.create(companies.command(name="", code="x"))
    assert (await companies.list(Query())).total == 0


# -- the organisation's catalogs on top of the rules -----------------------------------------


def employee_values(**values: Any) -> Any:
    """The command to create an employee: Ivan Ivanov unless told otherwise."""
    defaults = {"login": "ivanov", "password": "secret", "first_name": "Ivan", "last_name": "Ivanov"}
    return Employees.command(**{**defaults, **values})


@pytest.fixture
def cache(clock: ManualClock) -> CredentialCache:
    return CredentialCache(clock)


@pytest.fixture
def employees(storage: MemoryUnitOfWorkFactory, clock: ManualClock, cache: CredentialCache) -> Employees:
    return Employees(storage, clock, PlainHasher(), cache)


@pytest.fixture
def accounts(storage: MemoryUnitOfWorkFactory, clock: ManualClock, cache: CredentialCache) -> ServiceAccounts:
    return ServiceAccounts(storage, clock, PlainHasher(), cache)


async def test_a_department_cannot_become_its_own_ancestor(
    storage: MemoryUnitOfWorkFactory, clock: ManualClock, companies: Companies
) -> None:
    real = Departments(storage, clock)
    [acme] = await make_companies(companies, "Acme")
    top = await real.create(real.command(company_id=acme.id, name="Top", code="top"))
    middle = await real.create(real.command(company_id=acme.id, parent_id=top.id, name="Mid", code="mid"))
    leaf = await real.create(real.command(company_id=acme.id, parent_id=middle.id, name="Leaf", code="leaf"))
    with pytest.raises(ValidationFailed) as cycle:
        await real.change(top.id or 0, real.patch(parent_id=leaf.id))
    assert cycle.value.errors == [FieldError("parent_id", "would make the department its own ancestor")]
    with pytest.raises(ValidationFailed) as own:
        await real.change(top.id or 0, real.patch(parent_id=top.id))
    assert [e.field for e in own.value.errors] == ["parent_id"]
    moved = await real.change(leaf.id or 0, real.patch(parent_id=top.id))
    assert moved.parent_id == top.id


async def test_a_department_lists_its_own_employees_only(
    storage: MemoryUnitOfWorkFactory, clock: ManualClock, companies: Companies, employees: Employees
) -> None:
    real = Departments(storage, clock)
    [acme] = await make_companies(companies, "Acme")
    sales = await real.create(real.command(company_id=acme.id, name="Sales", code="sales"))
    other = await real.create(real.command(company_id=acme.id, name="Other", code="other"))
    await employees.create(employee_values(login="a", department_id=sales.id))
    await employees.create(employee_values(login="b", department_id=other.id))
    await employees.create(employee_values(login="c", department_id=sales.id))
    page = await real.employees("sales", Query(order_by=("-login",)))
    assert [e.login for e in page.items] == ["c", "a"] and page.total == 2
    with pytest.raises(NotFound):
        await real.employees("nowhere", Query())


async def test_a_password_is_stored_hashed_and_must_be_long_enough(employees: Employees) -> None:
    created = await employees.create(employee_values(password="secret"))
    assert created.password_hash == "hashed:secret"
    assert not hasattr(created, "password")
    with pytest.raises(ValidationFailed) as short:
        await employees.create(employee_values(login="other", password="1234"))
    assert short.value.errors == [FieldError("password", "must be at least 5 characters")]
    with pytest.raises(ValidationFailed) as missing:
        await employees.create(employee_values(login="x", password=None))
    assert missing.value.errors == [FieldError("password", "is required")]


async def test_a_login_is_unique_across_employees_and_service_accounts(
    employees: Employees, accounts: ServiceAccounts
) -> None:
    await employees.create(employee_values(login="crm"))
    with pytest.raises(Conflict) as taken:
        await accounts.create(accounts.command(name="CRM", login="crm", password="secret"))
    assert taken.value.message == "the login 'crm' is taken"
    bot = await accounts.create(accounts.command(name="Bot", login="bot", password="secret"))
    with pytest.raises(Conflict):
        await employees.create(employee_values(login="bot"))
    with pytest.raises(Conflict):
        await employees.create(employee_values(login="crm"))
    renamed = await accounts.change(bot.id or 0, accounts.patch(login="bot2", password="another"))
    assert (renamed.login, renamed.password_hash) == ("bot2", "hashed:another")


async def test_role_ids_are_kept_sorted_without_duplicates(
    storage: MemoryUnitOfWorkFactory, clock: ManualClock, employees: Employees, cache: CredentialCache
) -> None:
    roles = Roles(storage, clock, cache)
    first, second = await roles.create(roles.command(name="A")), await roles.create(roles.command(name="B"))
    created = await employees.create(employee_values(role_ids=[second.id, first.id, second.id]))
    assert created.role_ids == [first.id, second.id]
    assert [e.id for e in (await employees.with_role(second.id or 0, Query())).items] == [created.id]


def cached(cache: CredentialCache, login: str, password: str) -> Principal | None:
    return cache.get(cache.digest(login, password))


def remember(cache: CredentialCache, user: Employee, password: str) -> None:
    principal = Principal(kind=PrincipalKind.EMPLOYEE, id=user.id or 0, login=user.login, grants=())
    cache.put(cache.digest(user.login, password), principal, cache.generation(user.login))


async def test_changing_or_deleting_a_user_forgets_its_cached_logins(
    employees: Employees, cache: CredentialCache
) -> None:
    user = await employees.create(employee_values())
    other = await employees.create(employee_values(login="other"))
    remember(cache, user, "secret")
    remember(cache, other, "secret")
    await employees.change(user.id or 0, employees.patch(first_name="Ivan"))
    assert cached(cache, "ivanov", "secret") is None
    assert cached(cache, "other", "secret") is not None
    await employees.delete(other.id or 0)
    assert cached(cache, "other", "secret") is None


async def test_changing_a_role_forgets_the_cached_logins_of_its_holders(
    storage: MemoryUnitOfWorkFactory, clock: ManualClock, employees: Employees, cache: CredentialCache
) -> None:
    roles = Roles(storage, clock, cache)
    role = await roles.create(
        roles.command(name="Operator", grants=(Grant(permission=Permission.MANAGE_CLIENTS),))
    )
    holder = await employees.create(employee_values(role_ids=[role.id]))
    bystander = await employees.create(employee_values(login="bystander"))
    remember(cache, holder, "secret")
    remember(cache, bystander, "secret")
    changed = await roles.change(role.id or 0, roles.patch(grants=()))
    assert changed.grants == ()
    assert cached(cache, "ivanov", "secret") is None
    assert cached(cache, "bystander", "secret") is not None


async def test_a_role_held_by_someone_cannot_be_deleted(
    storage: MemoryUnitOfWorkFactory, clock: ManualClock, accounts: ServiceAccounts, cache: CredentialCache
) -> None:
    roles = Roles(storage, clock, cache)
    role = await roles.create(roles.command(name="Integration"))
    await accounts.create(accounts.command(name="CRM", login="crm", password="secret", role_ids=[role.id]))
    with pytest.raises(Conflict) as in_use:
        await roles.delete(role.id or 0)
    assert in_use.value.references == {"service accounts": 1}
    assert isinstance(await roles.get(role.id or 0), Role)
