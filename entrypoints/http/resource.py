"""Builds the routes every managed resource has: list, get by id or name, create, change, delete.

Each resource declares its Structs, converter, filters and guard (see controllers/); the routes
themselves are written once here. Handlers stay thin: decode, call the catalog, encode.
"""

# No `from __future__ import annotations` here: the handlers below are annotated with the
# resource's own Struct classes, and Litestar must see those objects, not their names.

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, delete, get, patch, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter, SkipValidation

from application.managed_entities import Reading
from application.queries import MAX_PAGE_SIZE, MAX_SORT_TERMS, Filters, Query
from domain.errors import ValidationFailed
from entrypoints.http.auth import UncopiedGuards
from entrypoints.http.schemas.common import In, Out, page_struct, sort_field, to_page
from entrypoints.http.schemas.times import answer
from entrypoints.http.wire_names import camel


# The write routes' handler classes: their guards (permissions) see the handler itself, uncopied.
class Post(UncopiedGuards, post):
    pass


class Put(UncopiedGuards, put):
    pass


class Patch(UncopiedGuards, patch):
    pass


class Delete(UncopiedGuards, delete):
    pass


def no_filters() -> Filters:
    return Filters()


@dataclass(frozen=True)
class Resource:
    path: str
    tag: str
    use_case: str
    """Name of the catalog among the container's use cases."""
    create: type[In]
    change: type[In]
    out: type[Out]
    write_guards: Sequence[Any]
    to_out: Callable[[Any], Out] | None = None
    """A hand-written converter, where the entity's shape differs from ``out``'s."""
    filters: Callable[..., Filters] = no_filters
    """A Litestar dependency whose parameters are the resource's query filters."""
    sortable: tuple[str, ...] = ("id", "name")
    detail: Callable[[State, Any], Awaitable[Out]] | None = None
    """The answer of GET by key when it tells more than a list item (``detail_out`` is its Struct)."""
    detail_out: type[Out] | None = None
    use_case_of: Callable[[State], Any] | None = None
    """Where the use case lives when it is not ``use_case`` among the container's use cases."""


def list_query(
    limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE_SIZE, description="page size")] = 50,
    offset: Annotated[int, QueryParameter(ge=0, description="items to skip")] = 0,
    sort: Annotated[
        str | None,
        QueryParameter(description="fields to sort by, comma-separated; a leading '-' sorts descending"),
    ] = None,
) -> Query:
    order = tuple(sort_field(s.strip()) for s in (sort or "id").split(",") if s.strip())
    if len(order) > MAX_SORT_TERMS:
        raise ValidationFailed.field("sort", f"at most {MAX_SORT_TERMS} sort terms")
    return Query(order_by=order or ("id",), limit=limit, offset=offset)


Listing = NamedDependency[SkipValidation[Query]]
"""The page and order a list route was asked for (built by ``list_query``; no re-validation)."""


def check_sort(query: Query, sortable: Sequence[str]) -> Query:
    """Refuses to sort by fields outside ``sortable`` (storage would fail on them) with a 400."""
    unknown = [camel(o) for o in query.order_by if o.lstrip("-") not in sortable]
    if unknown:
        allowed = ", ".join(camel(s) for s in sortable)
        raise ValidationFailed.field("sort", f"cannot sort by {', '.join(unknown)}; use one of {allowed}")
    return query


def use_case_named(name: str) -> Callable[[State], Any]:
    """Finds one use case of the container, by its name there."""

    def find(state: State) -> Any:
        return getattr(state.container.use_cases, name)()

    return find


def use_case(name: str) -> Provide:
    """A dependency that hands a handler one use case from the container."""
    return Provide(use_case_named(name), sync_to_thread=False)


def resource_controller(spec: Resource) -> type[Controller]:
    page = page_struct(spec.out)
    create_in, change_in, out = spec.create, spec.change, spec.out
    one = spec.detail_out or out
    write = list(spec.write_guards)
    name = spec.tag.title().replace(" ", "")
    to_out = spec.to_out or (lambda entity: answer(entity, out))
    # Looked up in the handler, not a Litestar dependency: resolving one costs a request more CPU
    # (a signature model, a cleanup group) than the rest of a cached-auth GET by id in Switchboard.
    catalog_of = spec.use_case_of or use_case_named(spec.use_case)

    async def change(catalog: Any, key: str, data: In) -> Any:
        current = await catalog.find(key)
        return to_out(await catalog.change(current.id, data.as_command(catalog.patch)))

    class ResourceController(Controller):
        path = spec.path
        tags = [spec.tag]  # noqa: RUF012 - Litestar reads this class attribute
        dependencies = {  # noqa: RUF012
            "listing": Provide(list_query, sync_to_thread=False),
            "criteria": Provide(spec.filters, sync_to_thread=False),
        }

        @get("", summary=f"List {spec.tag}", operation_id=f"list{name}")
        async def list_items(
            self,
            request: Request[Any, Any, Any],
            listing: Listing,
            criteria: NamedDependency[SkipValidation[Filters]],
            q: Annotated[str | None, QueryParameter(description="free-text search")] = None,
        ) -> page:
            catalog: Reading[Any] = catalog_of(request.app.state)
            found = await catalog.list(check_sort(listing, spec.sortable).where(*criteria.criteria), text=q)
            return answer(found, page) if spec.to_out is None else to_page(found, spec.to_out, page)

        @get("/{key:str}", summary=f"Get one of {spec.tag} by id or name", operation_id=f"get{name}")
        async def get_item(self, request: Request[Any, Any, Any], key: FromPath[str]) -> one:
            found = await catalog_of(request.app.state).find(key)
            return await spec.detail(request.app.state, found) if spec.detail is not None else to_out(found)

        @Post("", guards=write, summary=f"Create one of {spec.tag}", operation_id=f"create{name}")
        async def create_item(self, request: Request[Any, Any, Any], data: JSONBody[create_in]) -> out:
            catalog = catalog_of(request.app.state)
            return to_out(await catalog.create(data.as_command(catalog.command)))  # type: ignore[attr-defined]

        @Put("/{key:str}", guards=write, summary=f"Change one of {spec.tag}", operation_id=f"replace{name}")
        async def put_item(
            self, request: Request[Any, Any, Any], key: FromPath[str], data: JSONBody[change_in]
        ) -> out:
            return await change(catalog_of(request.app.state), key, data)

        @Patch("/{key:str}", guards=write, summary=f"Change one of {spec.tag}", operation_id=f"change{name}")
        async def patch_item(
            self, request: Request[Any, Any, Any], key: FromPath[str], data: JSONBody[change_in]
        ) -> out:
            return await change(catalog_of(request.app.state), key, data)

        @Delete("/{key:str}", guards=write, summary=f"Delete one of {spec.tag}", operation_id=f"delete{name}")
        async def delete_item(self, request: Request[Any, Any, Any], key: FromPath[str]) -> None:
            catalog = catalog_of(request.app.state)
            current = await catalog.find(key)
            # Every resource's use case reads (Reading) and writes; plain ones through Catalog.
            await catalog.delete(current.id)

    ResourceController.__name__ = ResourceController.__qualname__ = f"{name}Controller"
    return ResourceController
