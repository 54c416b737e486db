"""Templates render in Jinja2's sandbox; an unknown variable or bad syntax names the field."""

from __future__ import annotations

import pytest

from adapters.templates.jinja import JinjaRenderer
from application.sending.ports import TemplateProblem
from domain.errors import ValidationFailed

renderer = JinjaRenderer()


def test_client_fields_and_request_variables_fill_in() -> None:
    template = renderer.compile("Hello, {{ client.firstName }}! Code {{ code }}", field="text")
    assert template.render({"client": {"firstName": "Ivan"}, "code": 42}) == "Hello, Ivan! Code 42"


def test_an_unknown_variable_is_an_error_naming_the_field_and_the_variable() -> None:
    template = renderer.compile("Hi {{ client.nickname }}", field="subject")
    with pytest.raises(TemplateProblem) as problem:
        template.render({"client": {"firstName": "Ivan"}})
    assert isinstance(problem.value, ValidationFailed)
    [error] = problem.value.errors
    assert error.field == "subject" and "nickname" in error.message


def test_bad_syntax_is_an_error_at_compile_time_with_its_line() -> None:
    with pytest.raises(TemplateProblem) as problem:
        renderer.compile("line one\n{{ client.firstName ", field="html", html=True)
    assert problem.value.errors[0].field == "html"
    assert "line 2" in problem.value.errors[0].message


def test_the_sandbox_refuses_python_internals() -> None:
    template = renderer.compile("{{ ''.__class__.__mro__[1].__subclasses__() }}", field="text")
    with pytest.raises(TemplateProblem):
        template.render({})


def test_html_templates_escape_values_and_text_templates_do_not() -> None:
    values = {"client": {"firstName": "<Tom & Jerry>"}}
    assert renderer.compile("<b>{{ client.firstName }}</b>", field="html", html=True).render(values) == (
        "<b>&lt;Tom &amp; Jerry&gt;</b>"
    )
    assert renderer.compile("{{ client.firstName }}", field="text").render(values) == "<Tom & Jerry>"


def test_a_prepared_renderer_renders_what_render_does_with_globals_and_shared_values() -> None:
    source = "{% for i in range(2) %}{{ i }}{{ greeting }} {{ client.firstName }};{% endfor %}{{ client }}"
    template = renderer.compile(source, field="text")
    render = template.renderer({"greeting": "Hi", "client": "overridden per call"})
    for name in ("Ivan", "Olga"):
        values = {"client": {"firstName": name}}
        assert render(values) == template.render({"greeting": "Hi", **values})
    assert render({"client": {"firstName": "Ivan"}}).startswith("0Hi Ivan;1Hi Ivan;")
    with pytest.raises(TemplateProblem) as problem:
        template.renderer({})({"client": {"firstName": "Ivan"}})
    assert "greeting" in problem.value.errors[0].message


def test_the_attributes_a_template_reads_of_a_name_or_none_when_it_uses_it_whole() -> None:
    def read(source: str) -> frozenset[str] | None:
        return renderer.compile(source, field="text").attributes_read("client")

    assert read("{{ client.firstName }} {{ client.email | upper }} {{ code }}") == {"firstName", "email"}
    assert read("{% if client.available %}{{ client.lastName }}{% endif %}") == {"available", "lastName"}
    assert read("Hello") == frozenset()
    assert read("{{ client }}") is None
    assert read("{{ client['firstName'] }}") is None
    assert read("{{ client.firstName }}{% for c in [client] %}{{ c.email }}{% endfor %}") is None
