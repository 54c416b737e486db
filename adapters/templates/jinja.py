"""The TemplateRenderer port on Jinja2's SandboxedEnvironment with StrictUndefined.

The sandbox keeps a template from reaching Python internals (``{{ ''.__class__ }}``); strict
undefined turns a misspelt variable into an error instead of an empty string in a client's inbox.
"""

from __future__ import annotations

from collections.abc import Mapping

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, meta
from jinja2.sandbox import SandboxedEnvironment

from application.sending.ports import TemplateProblem

CACHED_TEMPLATES = 256
"""Compiled templates kept, oldest dropped first."""


class JinjaTemplate:
    def __init__(self, template: object, field: str, references: frozenset[str]) -> None:
        self._template = template
        self._field = field
        self.references = references

    def render(self, values: Mapping[str, object]) -> str:
        try:
            return str(self._template.render(values))  # type: ignore[attr-defined]
        except TemplateError as error:
            raise TemplateProblem(self._field, error.message or type(error).__name__) from error
        except (TypeError, ValueError, ArithmeticError, LookupError) as error:
            raise TemplateProblem(self._field, f"the template failed: {error}") from error


class JinjaRenderer:
    def __init__(self) -> None:
        self._text = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
        self._html = SandboxedEnvironment(undefined=StrictUndefined, autoescape=True)
        self._compiled: dict[tuple[str, str, bool], JinjaTemplate] = {}

    def compile(self, source: str, *, field: str, html: bool = False) -> JinjaTemplate:
        # Parsing and compiling costs milliseconds: a template sent again (one client per request,
        # the same text) is taken from the cache. Templates are immutable once compiled.
        key = (source, field, html)
        cached = self._compiled.get(key)
        if cached is not None:
            return cached
        made = self._compile(source, field=field, html=html)
        if len(self._compiled) >= CACHED_TEMPLATES:
            self._compiled.pop(next(iter(self._compiled)))
        self._compiled[key] = made
        return made

    def _compile(self, source: str, *, field: str, html: bool) -> JinjaTemplate:
        environment = self._html if html else self._text
        try:
            references = frozenset(meta.find_undeclared_variables(environment.parse(source)))
            return JinjaTemplate(environment.from_string(source), field, references)
        except TemplateSyntaxError as error:
            raise TemplateProblem(
                field, f"bad template syntax on line {error.lineno}: {error.message}"
            ) from error
        except TemplateError as error:
            raise TemplateProblem(field, error.message or "bad template") from error
