"""Managing companies, departments, roles, employees and service accounts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar

from application.authentication import CredentialCache
from application.catalog import Catalog, MustExist, Patch, ReferencedBy, Unique, page_of
from application.logins import CaseFoldedLogins, LoginRules, all_users, refuse_taken_or_lookalike
from application.ports import Clock, PasswordHasher, UnitOfWork, UnitOfWorkFactory
from application.queries import Page, Query, eq
from domain.errors import ValidationFailed
from domain.organisation import Company, Department, Employee, Role, ServiceAccount, User

MIN_PASSWORD_LENGTH = 5


class Companies(Catalog[Company]):
    kind = "company"
    repository = "companies"
    key_fields = ("code", "name")
    search_fields = ("name", "code")
    unique = (Unique(("code",)),)
    referenced_by = (ReferencedBy("departments", "company_id", "departments"),)

    def build(self, values: Mapping[str, Any]) -> Company:
        return Company(**values)


class Departments(Catalog[Department]):
    kind = "department"
    repository = "departments"
    key_fields = ("code", "name")
    search_fields = ("name", "code")
    unique = (Unique(("company_id", "code")),)
    must_exist = (
        MustExist("company_id", "companies", "company", "companyId"),
        MustExist("parent_id", "departments", "department", "parentId"),
    )
    referenced_by = (
        ReferencedBy("departments", "parent_id", "child departments"),
        ReferencedBy("employees", "department_id", "employees"),
        ReferencedBy("rules", "department_id", "rules"),
        ReferencedBy("bookings", "department_id", "bookings"),
        ReferencedBy("communications", "department_id", "communications"),
    )

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
                raise ValidationFailed.field("parentId", "would make the department its own ancestor")
            seen.add(parent_id)
            parent = await uow.departments.get(parent_id)
            parent_id = parent.parent_id if parent else None

    async def employees(self, key: str | int, query: Query) -> Page[Employee]:
        async with self._uow_factory(read_only=True) as uow:
            department = await self.load_by_key(uow, key)
            return await page_of(uow.employees, query.where(eq("department_id", department.id)))


U = TypeVar("U", bound=User)


class Users(Catalog[U]):
    """Employees and service accounts: logins unique across both, passwords hashed, roles checked."""

    key_fields: ClassVar[tuple[str, ...]] = ("login",)
    must_exist: ClassVar[tuple[MustExist, ...]] = (MustExist("role_ids", "roles", "role", "roleIds"),)
    other_repository: ClassVar[str]

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

    async def apply(self, uow: UnitOfWork, current: U, patch: Patch) -> U:
        changed = await super().apply(uow, current, Patch(self._secure(patch.changes)))
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
        for name in (self.repository, self.other_repository):
            for user in await all_users(getattr(uow, name)):
                if not (name == self.repository and user.id == entity.id):
                    others.append(user)
        refuse_taken_or_lookalike(self._logins, entity.login, others)

    async def with_role(self, role_id: int, query: Query) -> Page[U]:
        async with self._uow_factory(read_only=True) as uow:
            return await page_of(self.repo(uow), query.where(eq("role_id", role_id)))


class Employees(Users[Employee]):
    kind = "employee"
    repository = "employees"
    other_repository = "service_accounts"
    search_fields = ("login", "first_name", "last_name", "middle_name", "email", "phone")
    must_exist = (*Users.must_exist, MustExist("department_id", "departments", "department", "departmentId"))
    referenced_by = (
        ReferencedBy("bookings", "employee_id", "bookings"),
        ReferencedBy("communications", "employee_id", "communications"),
    )

    def build(self, values: Mapping[str, Any]) -> Employee:
        return Employee(**values)


class ServiceAccounts(Users[ServiceAccount]):
    kind = "service account"
    repository = "service_accounts"
    other_repository = "employees"
    key_fields = ("login", "name")
    search_fields = ("login", "name")

    def build(self, values: Mapping[str, Any]) -> ServiceAccount:
        return ServiceAccount(**values)


class Roles(Catalog[Role]):
    kind = "role"
    repository = "roles"
    unique = (Unique(("name",)),)
    search_fields = ("name", "description")
    referenced_by = (
        ReferencedBy("employees", "role_id", "employees"),
        ReferencedBy("service_accounts", "role_id", "service accounts"),
    )

    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock, credentials: CredentialCache) -> None:
        super().__init__(uow_factory, clock)
        self._credentials = credentials

    def build(self, values: Mapping[str, Any]) -> Role:
        return Role(**values)

    async def apply(self, uow: UnitOfWork, current: Role, patch: Patch) -> Role:
        changed = await super().apply(uow, current, patch)
        # Cached logins carry the old grants; a role change must take effect at once.
        for repo in (uow.employees, uow.service_accounts):
            for user in await repo.find(Query((eq("role_id", current.id),), limit=100_000)):
                self._credentials.forget(user.login)
        return changed
