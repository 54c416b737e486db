"""The one rule for path keys: ASCII digits are an id within the 64-bit range; anything else is a name."""

from __future__ import annotations

import pytest

from domain.errors import ValidationFailed
from domain.keys import MAX_ID, id_or_name, is_id_text, require_id


@pytest.mark.parametrize("text", ["1", "0012", str(MAX_ID)])
def test_ascii_digits_are_an_id(text: str) -> None:
    assert id_or_name(text) == int(text)
    assert require_id(text) == int(text)


@pytest.mark.parametrize("text", ["²", "١٢", "१२", "１２", "12a", "", " 12", "-1", "+1"])
def test_other_digits_are_a_name_not_an_id(text: str) -> None:
    assert not is_id_text(text)
    assert id_or_name(text) == text
    with pytest.raises(ValidationFailed) as refused:
        require_id(text, field="id")
    assert refused.value.errors[0].field == "id"


@pytest.mark.parametrize("text", [str(MAX_ID + 1), "9" * 25, "9" * 4_301, "1" * 100_000])
def test_digits_beyond_64_bits_are_refused_naming_the_field_without_being_converted(text: str) -> None:
    for read in (id_or_name, require_id):
        with pytest.raises(ValidationFailed) as refused:
            read(text, field="cardId")
        assert refused.value.errors[0].field == "cardId"
        assert str(MAX_ID) in refused.value.errors[0].message


def test_leading_zeros_do_not_count_against_the_range() -> None:
    assert id_or_name("0" * 30 + "7") == 7
    assert require_id("0" * 30 + "7") == 7
