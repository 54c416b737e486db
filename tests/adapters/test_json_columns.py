"""Stored JSON reads back as the standard module would read it, whatever it holds."""

from __future__ import annotations

import json
import math

from hypothesis import given
from hypothesis import strategies as st

from adapters.sqlalchemy.engine import decode_json

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=20,
)


@given(json_values)
def test_a_stored_value_decodes_as_json_loads_reads_it(value: object) -> None:
    text = json.dumps(value)
    decoded = decode_json(text)
    assert decoded == json.loads(text)
    assert json.dumps(decoded) == text  # the same types too (1 stays an int, 1.0 a float)


def test_what_only_the_standard_module_writes_still_reads() -> None:
    decoded = decode_json(json.dumps([float("nan"), float("inf"), -float("inf")]))
    assert math.isnan(decoded[0])
    assert decoded[1:] == [float("inf"), -float("inf")]
