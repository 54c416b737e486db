"""Routes of companies, departments, roles, employees and service accounts (/api/v1)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter

from application.organisation import Departments, Employees, Roles
from application.queries import Field, Filters
from application.searches import DepartmentFields, EmployeeFields, ServiceAccountFields
from entrypoints.http.auth import manage_system
from entrypoints.http.resource import (
    Listing,
    Resource,
    check_sort,
    list_query,
    resource_controller,
    use_case,
)
from entrypoints.http.schemas.common import page_struct
from entrypoints.http.schemas.organisation import (
    CompanyIn,
    CompanyOut,
    CompanyPatch,
    DepartmentIn,
    DepartmentOut,
    DepartmentPatch,
    EmployeeIn,
    EmployeeOut,
    EmployeePatch,
    RoleIn,
    RoleOut,
    RolePatch,
    ServiceAccountIn,
    ServiceAccountOut,
    ServiceAccountPatch,
    department_out,
    role_out,
)
from entrypoints.http.schemas.times import answer


def department_filters(
    company_id: Annotated[int | None, QueryParameter(name="companyId", ge=1)] = None,
    parent_id: Annotated[int | None, QueryParameter(name="parentId", ge=1)] = None,
) -> Filters:
    return given((DepartmentFields.company_id, company_id), (DepartmentFields.parent_id, parent_id))


def given(*filters: tuple[Field[Any], object]) -> Filters:
    """Equality criteria for the filters the caller gave (None means not given)."""
    return Filters(*(field.eq(value) for field, value in filters if value is not None))


def user_filters(
    role_id: Annotated[int | None, QueryParameter(name="roleId", ge=1)] = None,
    active: Annotated[bool | None, QueryParameter()] = None,
) -> Filters:
    return given((ServiceAccountFields.role_id, role_id), (ServiceAccountFields.active, active))


def employee_filters(
    department_id: Annotated[int | None, QueryParameter(name="departmentId", ge=1)] = None,
    role_id: Annotated[int | None, QueryParameter(name="roleId", ge=1)] = None,
    active: Annotated[bool | None, QueryParameter()] = None,
) -> Filters:
    return given(
        (EmployeeFields.department_id, department_id),
        (EmployeeFields.role_id, role_id),
        (EmployeeFields.active, active),
    )


EMPLOYEE_SORTABLE = ("id", "login", "last_name", "first_name", "department_id", "create_time")

CompaniesController = resource_controller(
    Resource(
        path="/api/v1/companies",
        tag="companies",
        use_case="companies",
        create=CompanyIn,
        change=CompanyPatch,
        out=CompanyOut,
        write_guards=[manage_system],
        sortable=("id", "name", "code", "create_time"),
    )
)
DepartmentsController = resource_controller(
    Resource(
        path="/api/v1/departments",
        tag="departments",
        use_case="departments",
        create=DepartmentIn,
        change=DepartmentPatch,
        out=DepartmentOut,
        to_out=department_out,
        write_guards=[manage_system],
        filters=department_filters,
        sortable=("id", "name", "code", "company_id"),
    )
)
RolesController = resource_controller(
    Resource(
        path="/api/v1/roles",
        tag="roles",
        use_case="roles",
        create=RoleIn,
        change=RolePatch,
        out=RoleOut,
        to_out=role_out,
        write_guards=[manage_system],
    )
)
EmployeesController = resource_controller(
    Resource(
        path="/api/v1/employees",
        tag="employees",
        use_case="employees",
        create=EmployeeIn,
        change=EmployeePatch,
        out=EmployeeOut,
        write_guards=[manage_system],
        filters=employee_filters,
        sortable=EMPLOYEE_SORTABLE,
    )
)
ServiceAccountsController = resource_controller(
    Resource(
        path="/api/v1/service-accounts",
        tag="service accounts",
        use_case="service_accounts",
        create=ServiceAccountIn,
        change=ServiceAccountPatch,
        out=ServiceAccountOut,
        write_guards=[manage_system],
        filters=user_filters,
        sortable=("id", "name", "login"),
    )
)

EmployeePage = page_struct(EmployeeOut)


class MembersController(Controller):
    """Who belongs where: a department's employees, a role's employees (by id or name)."""

    tags = ["employees"]  # noqa: RUF012
    dependencies = {  # noqa: RUF012
        "departments": use_case("departments"),
        "roles": use_case("roles"),
        "employees": use_case("employees"),
        "listing": Provide(list_query, sync_to_thread=False),
    }

    @get("/api/v1/departments/{key:str}/employees", summary="A department's employees")
    async def department_employees(
        self, departments: NamedDependency[Departments], key: FromPath[str], listing: Listing
    ) -> EmployeePage:
        page = await departments.employees(key, check_sort(listing, EMPLOYEE_SORTABLE))
        return answer(page, EmployeePage)

    @get("/api/v1/roles/{key:str}/employees", summary="A role's employees, the role by id or name")
    async def role_employees(
        self,
        roles: NamedDependency[Roles],
        employees: NamedDependency[Employees],
        key: FromPath[str],
        listing: Listing,
    ) -> EmployeePage:
        role = await roles.find(key)
        assert role.id is not None
        page = await employees.with_role(role.id, check_sort(listing, EMPLOYEE_SORTABLE))
        return answer(page, EmployeePage)


CONTROLLERS = [
    CompaniesController,
    DepartmentsController,
    RolesController,
    EmployeesController,
    ServiceAccountsController,
    MembersController,
]
