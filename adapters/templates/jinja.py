"""The TemplateRenderer port on Jinja2's SandboxedEnvironment with StrictUndefined.

The sandbox keeps a template from reaching Python internals (``{{ ''.__class__ }}``); strict
undefined turns a misspelt variable into an error instead of an empty string in a client's inbox.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError, meta, nodes
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

from application.sending.ports import TemplateProblem

CACHED_TEMPLATES = 256
"""Compiled templates kept, oldest dropped first."""


class JinjaTemplate:
    def __init__(self, template: Template, field: str, tree: nodes.Template) -> None:
        self._template = template
        self._field = field
        self.references = frozenset(meta.find_undeclared_variables(tree))
        self._attributes = _attributes_read(tree)
        self._unshared: Callable[[Mapping[str, object]], str] | None = None

    def render(self, values: Mapping[str, object]) -> str:
        return self.renderer({})(values)

    def renderer(self, shared: Mapping[str, object]) -> Callable[[Mapping[str, object]], str]:
        if shared:
            return self._renderer(shared)
        # Without shared values the renderer is the same for every send: made once per template
        # (a single send renders its subject and text through two of them). Each render still
        # gets a context of its own.
        if self._unshared is None:
            self._unshared = self._renderer({})
        return self._unshared

    def _renderer(self, shared: Mapping[str, object]) -> Callable[[Mapping[str, object]], str]:
        template = self._template
        # What Template.render does per call, with the globals and the shared values merged once:
        # a context over an already merged dict ("shared") is the same context, made cheaper.
        merged = {**template.globals, **shared}
        environment, render_root = template.environment, template.root_render_func
        # The state every render's context starts from, made once: a context per render copies
        # it and gets its own variables, exports, blocks and evaluation state (all mutable).
        prototype = template.new_context(merged, shared=True)
        fixed = {
            k: v
            for k, v in vars(prototype).items()
            if k not in ("parent", "vars", "eval_ctx", "exported_vars", "blocks")
        }
        context_class, blocks = type(prototype), template.blocks
        evaluation_class, evaluation = type(prototype.eval_ctx), vars(prototype.eval_ctx)

        def new_context(parent: dict[str, object]) -> Context:
            context = object.__new__(context_class)
            eval_ctx = object.__new__(evaluation_class)
            eval_ctx.__dict__.update(evaluation)
            context.__dict__.update(
                fixed,
                parent=parent,
                vars={},
                eval_ctx=eval_ctx,
                exported_vars=set(),
                blocks={k: [v] for k, v in blocks.items()},
            )
            return context

        def render(values: Mapping[str, object]) -> str:
            try:
                try:
                    context = new_context({**merged, **values})
                    return str(environment.concat(render_root(context)))
                except Exception:
                    environment.handle_exception()
            except TemplateError as error:
                raise TemplateProblem(self._field, error.message or type(error).__name__) from error
            except (TypeError, ValueError, ArithmeticError, LookupError) as error:
                raise TemplateProblem(self._field, f"the template failed: {error}") from error

        return render

    def attributes_read(self, name: str) -> frozenset[str] | None:
        return self._attributes.get(name, frozenset())


def _attributes_read(tree: nodes.Template) -> dict[str, frozenset[str] | None]:
    """By name: the attributes read of it, or None for a name also used whole or by index."""
    read: dict[str, set[str]] = {}
    dotted: set[int] = set()
    for getattr_ in tree.find_all(nodes.Getattr):
        if isinstance(getattr_.node, nodes.Name):
            dotted.add(id(getattr_.node))
            read.setdefault(getattr_.node.name, set()).add(getattr_.attr)
    whole = {name.name for name in tree.find_all(nodes.Name) if id(name) not in dotted}
    return {n: None if n in whole else frozenset(read.get(n, ())) for n in {*read, *whole}}


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
            return JinjaTemplate(environment.from_string(source), field, environment.parse(source))
        except TemplateSyntaxError as error:
            raise TemplateProblem(
                field, f"bad template syntax on line {error.lineno}: {error.message}"
            ) from error
        except TemplateError as error:
            raise TemplateProblem(field, error.message or "bad template") from error
