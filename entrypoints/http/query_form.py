"""A Struct's fields as a route's query parameters, so a list's filters are declared once.

The same Struct is then the JSON body of the POST form of the list (``/v3/collections``) and
the query string of its GET form: one field list, one set of limits, one set of wire names.
"""

# No `from __future__ import annotations`: Litestar reads the built signature's objects.

import inspect
from collections.abc import Callable, Mapping
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

import msgspec
from litestar.params import QueryParameter

KEYWORD = inspect.Parameter.KEYWORD_ONLY
S = TypeVar("S", bound=msgspec.Struct)
T = TypeVar("T")

# The limits a query parameter states itself (the rest stay on the type, checked by msgspec).
LIMITS = ("ge", "le", "gt", "lt", "min_length", "max_length", "pattern")


def _unwrap(hint: Any) -> tuple[Any, dict[str, Any]]:
    """``hint`` without its outer ``Annotated`` and ``None``, and the Meta that was on it."""
    meta: dict[str, Any] = {}
    while True:
        if get_origin(hint) is Annotated:
            hint, *extras = get_args(hint)
            for extra in extras:
                if isinstance(extra, msgspec.Meta):
                    stated = {k: getattr(extra, k) for k in (*LIMITS, "description")}
                    meta.update({k: v for k, v in stated.items() if v is not None})
            continue
        args = get_args(hint)
        if get_origin(hint) is Union and type(None) in args:
            hint = Union[tuple(a for a in args if a is not type(None))]  # noqa: UP007
            continue
        return hint, meta


def query_form(
    struct: type[S], build: Callable[[S], T], names: Mapping[str, str] | None = None
) -> Callable[..., T]:
    """A Litestar dependency reading ``struct``'s fields from the query string, then ``build``.

    Each parameter is named as the field is on the wire, or by ``names`` (field -> parameter)
    where the query string spells it otherwise. A list keeps only its help text: the request
    guard already bounds how long a query string may be.
    """
    parameters = []
    for field in msgspec.structs.fields(struct):
        base, meta = _unwrap(field.type)
        limits = {} if get_origin(base) is list else {k: v for k, v in meta.items() if k in LIMITS}
        given = QueryParameter(
            name=(names or {}).get(field.name, field.encode_name),
            description=meta.get("description"),
            **limits,
        )
        # A field with a value of its own (a page size, say) keeps it; any other may be left out.
        default = None if field.default in (None, msgspec.NODEFAULT) else field.default
        annotation = Annotated[base if default is not None else Union[base, None], given]  # noqa: UP007
        parameter = inspect.Parameter(field.name, KEYWORD, default=default, annotation=annotation)
        parameters.append(parameter)

    def provide(**values: Any) -> T:
        return build(struct(**{name: value for name, value in values.items() if value is not None}))

    provide.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    provide.__annotations__ = {p.name: p.annotation for p in parameters}
    provide.__name__ = f"{struct.__name__}_query"
    return provide
