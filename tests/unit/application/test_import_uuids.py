"""The uuids the history import gives rows that bring none."""

import uuid

from application.decisions.importing import random_uuid4


def test_an_import_uuid_is_a_canonical_random_version_4_uuid() -> None:
    for _ in range(2_000):
        made = random_uuid4()
        parsed = uuid.UUID(made)
        assert str(parsed) == made
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122


def test_import_uuids_do_not_repeat_and_vary_in_every_random_digit() -> None:
    made = [random_uuid4().replace("-", "") for _ in range(2_000)]
    assert len(set(made)) == len(made)
    fixed = {12}  # the version digit
    for position in range(32):
        seen = {u[position] for u in made}
        if position in fixed:
            assert seen == {"4"}
        elif position == 16:
            assert seen == set("89ab")
        else:
            assert len(seen) == 16
