"""Managing companies, departments, roles, employees and service accounts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar

from application.authentication import CredentialCache
from application.logins import CaseFoldedLogins, LoginRules, all_users, refuse_taken_or_lookalike
from application.managed_entities import (
    Catalog,
    Command,
    MustExist,
    ReferencedBy,
    Unique,
    command_for,
    page_of,
)
from application.ports import Clock, PasswordHasher, Repository, UnitOfWork, UnitOfWorkFactory
from application.queries import Field, Page, Query
from application.searches import (
    BookingFields,
    CommunicationFields,
    CompanyFields,
    DepartmentFields,
    EmployeeFields,
    RoleFields,
    RuleFields,
    ServiceAccountFields,
)
from domain.errors import ValidationFailed
from domain.organisation import Company, Department, Employee, Role, ServiceAccount, User

MIN_PASSWORD_LENGTH = 5


PASSWORD = (("password", "str | None", None),)
"""A user's password as given, hashed before it is stored."""


class Companies(Catalog[Company]):
    """Managing companies, the top of the organisation."""

    kind = "company"
    command = command_for(Company, "NewCompany")
    fields = CompanyFields
    key_fields = (CompanyFields.code, CompanyFields.name)
    search_fields = (CompanyFields.name, CompanyFields.code)
    unique = (Unique((CompanyFields.code,)),)
    referenced_by = (ReferencedBy(lambda uow: uow.departments, DepartmentFields.company_id, "departments"),)

    def repo(self, uow: UnitOfWork) -> Repository[Company]:
        return uow.companies

    def build(self, values: Mapping[str, Any]) -> Company:
        return Company(**values)


class Departments(Catalog[Department]):
    """Managing departments: a tree inside a company, each with its working hours."""

    kind = "department"
    command = command_for(Department, "NewDepartment")
    fields = DepartmentFields
    key_fields = (DepartmentFields.code, DepartmentFields.name)
    search_fields = (DepartmentFields.name, DepartmentFields.code)
    unique = (Unique((DepartmentFields.company_id, DepartmentFields.code)),)
    must_exist = (
        MustExist("company_id", lambda uow: uow.companies, "company"),
        MustExist("parent_id", lambda uow: uow.departments, "department"),
    )
    referenced_by = (
        ReferencedBy(lambda uow: uow.departments, DepartmentFields.parent_id, "child departments"),
        ReferencedBy(lambda uow: uow.employees, EmployeeFields.department_id, "employees"),
        ReferencedBy(lambda uow: uow.rules, RuleFields.department_id, "rules"),
        ReferencedBy(lambda uow: uow.bookings, BookingFields.department_id, "bookings"),
        ReferencedBy(lambda uow: uow.communications, CommunicationFields.department_id, "communications"),
    )

    def repo(self, uow: UnitOfWork) -> Repository[Department]:
        return uow.departments

    def build(self, values: Mapping[str, Any]) -> Department:
        return Department(**values)

    async def check(self, uow: UnitOfWork, entity: Department) -> None:
        await super().check(uow, entity)
        await self._refuse_cycle(uow, entity)

    async def _refuse_cycle(self, uow: UnitOfWork, department: Department) -> None:
        seen = {department.id}
        parent_id = department.parent_id
        while parent_id is not None:
            if parent_id in seen:
                raise ValidationFailed.field("parent_id", "would make the department its own ancestor")
            seen.add(parent_id)
            parent = await uow.departments.get(parent_id)
            parent_id = parent.parent_id if parent else None

    async def employees(self, key: str | int, query: Query) -> Page[Employee]:
        """One page of the department's own employees."""
        async with self._uow_factory(read_only=True) as uow:
            department = await self.load_by_key(uow, key)
            assert department.id is not None
            return await page_of(uow.employees, query.where(EmployeeFields.department_id.eq(department.id)))


U = TypeVar("U", bound=User)


class Users(Catalog[U]):
    """Employees and service accounts: logins unique across both, passwords hashed, roles checked."""

    must_exist: ClassVar[tuple[MustExist, ...]] = (MustExist("role_ids", lambda uow: uow.roles, "role"),)
    login_field: ClassVar[Field[str]]
    role_field: ClassVar[Field[int]]

    def other_users(self, uow: UnitOfWork) -> Repository[Any]:
        """The other kind of user, whose logins these must not take."""
        raise NotImplementedError

    def other_login(self) -> Field[str]:
        raise NotImplementedError

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        hasher: PasswordHasher,
        credentials: CredentialCache,
        logins: LoginRules | None = None,
    ) -> None:
        super().__init__(uow_factory, clock)
        self._hasher = hasher
        self._credentials = credentials
        self._logins = logins or CaseFoldedLogins()

    def _secure(self, values: Mapping[str, Any]) -> dict[str, Any]:
        secured = dict(values)
        password = secured.pop("password", None)
        if password is not None:
            if len(password) < MIN_PASSWORD_LENGTH:
                raise ValidationFailed.field("password", f"must be at least {MIN_PASSWORD_LENGTH} characters")
            secured["password_hash"] = self._hasher.hash(password)
        if "role_ids" in secured:
            secured["role_ids"] = sorted(set(secured["role_ids"]))
        return secured

    async def add(self, uow: UnitOfWork, values: Mapping[str, Any]) -> U:
        if not values.get("password"):
            raise ValidationFailed.field("password", "is required")
        return await super().add(uow, self._secure(values))

    def changes(self, current: U, patch: Command) -> dict[str, Any]:
        return self._secure(super().changes(current, patch))

    async def apply(self, uow: UnitOfWork, current: U, patch: Command) -> U:
        changed = await super().apply(uow, current, patch)
        self._credentials.forget(current.login)
        return changed

    async def delete(self, entity_id: int) -> None:
        user = await self.get(entity_id)
        await super().delete(entity_id)
        self._credentials.forget(user.login)

    async def check(self, uow: UnitOfWork, entity: U) -> None:
        await super().check(uow, entity)
        await self._refuse_taken_login(uow, entity)

    async def _refuse_taken_login(self, uow: UnitOfWork, entity: U) -> None:
        """Logins are unique across employees and service accounts by the login rules (case, width,
        lookalikes): "Admin" and "ａdmin" would be two people whom a lookup by name could not tell apart."""
        others = []
        for repo, same_kind in ((self.repo(uow), True), (self.other_users(uow), False)):
            for user in await all_users(repo):
                if not (same_kind and user.id == entity.id):
                    others.append(user)
        refuse_taken_or_lookalike(self._logins, entity.login, others)

    async def with_role(self, role_id: int, query: Query) -> Page[U]:
        """The users holding a role."""
        async with self._uow_factory(read_only=True) as uow:
            return await page_of(self.repo(uow), query.where(self.role_field.eq(role_id)))


class Employees(Users[Employee]):
    """Managing employees: the people who sign in."""

    kind = "employee"
    command = command_for(Employee, "NewEmployee", without=("password_hash",), extra=PASSWORD)
    fields = EmployeeFields
    login_field = EmployeeFields.login
    role_field = EmployeeFields.role_id
    key_fields = (EmployeeFields.login,)
    search_fields = (
        EmployeeFields.login,
        EmployeeFields.first_name,
        EmployeeFields.last_name,
        EmployeeFields.middle_name,
        EmployeeFields.email,
        EmployeeFields.phone,
    )
    must_exist = (
        *Users.must_exist,
        MustExist("department_id", lambda uow: uow.departments, "department"),
    )
    referenced_by = (
        ReferencedBy(lambda uow: uow.bookings, BookingFields.employee_id, "bookings"),
        ReferencedBy(lambda uow: uow.communications, CommunicationFields.employee_id, "communications"),
    )

    def repo(self, uow: UnitOfWork) -> Repository[Employee]:
        return uow.employees

    def other_users(self, uow: UnitOfWork) -> Repository[Any]:
        return uow.service_accounts

    def other_login(self) -> Field[str]:
        return ServiceAccountFields.login

    def build(self, values: Mapping[str, Any]) -> Employee:
        return Employee(**values)


class ServiceAccounts(Users[ServiceAccount]):
    """Managing service accounts: the systems that call the API."""

    kind = "service account"
    command = command_for(ServiceAccount, "NewServiceAccount", without=("password_hash",), extra=PASSWORD)
    fields = ServiceAccountFields
    login_field = ServiceAccountFields.login
    role_field = ServiceAccountFields.role_id
    key_fields = (ServiceAccountFields.login, ServiceAccountFields.name)
    search_fields = (ServiceAccountFields.login, ServiceAccountFields.name)

    def repo(self, uow: UnitOfWork) -> Repository[ServiceAccount]:
        return uow.service_accounts

    def other_users(self, uow: UnitOfWork) -> Repository[Any]:
        return uow.employees

    def other_login(self) -> Field[str]:
        return EmployeeFields.login

    def build(self, values: Mapping[str, Any]) -> ServiceAccount:
        return ServiceAccount(**values)


class Roles(Catalog[Role]):
    """Managing roles: the permissions and grants users hold."""

    kind = "role"
    command = command_for(Role, "NewRole")
    fields = RoleFields
    key_fields = (RoleFields.name,)
    unique = (Unique((RoleFields.name,)),)
    search_fields = (RoleFields.name, RoleFields.description)
    referenced_by = (
        ReferencedBy(lambda uow: uow.employees, EmployeeFields.role_id, "employees"),
        ReferencedBy(lambda uow: uow.service_accounts, ServiceAccountFields.role_id, "service accounts"),
    )

    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock, credentials: CredentialCache) -> None:
        super().__init__(uow_factory, clock)
        self._credentials = credentials

    def repo(self, uow: UnitOfWork) -> Repository[Role]:
        return uow.roles

    def build(self, values: Mapping[str, Any]) -> Role:
        return Role(**values)

    async def apply(self, uow: UnitOfWork, current: Role, patch: Command) -> Role:
        changed = await super().apply(uow, current, patch)
        # Cached logins carry the old grants; a role change must take effect at once.
        assert current.id is not None
        for repo, role_id in (
            (uow.employees, EmployeeFields.role_id),
            (uow.service_accounts, ServiceAccountFields.role_id),
        ):
            for user in await repo.find(Query((role_id.eq(current.id),), limit=100_000)):
                self._credentials.forget(user.login)
        return changed
