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
