"""A bulk send's clients read (``SendRepository.clients``): the clients the repository gives."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Any

from domain.clients import Client

NOW = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)


async def test_the_audience_clients_are_those_the_clients_repository_gives(uow_factory: Any) -> None:
    async with uow_factory() as uow:
        made = [
            Client(first_name="Plain", create_time=NOW, update_time=NOW),
            Client(
                first_name="Ёлка",
                last_name='Quote "and" \\ backslash',
                middle_name="M",
                birth_date=date(1990, 2, 28),
                phones=["+79001234567", "+79007654321"],
                email="full@example.com",
                social_media={"telegram": "@ёлка", "whatsapp": "+79001234567"},
                language="ru",
                time_zone="Europe/Moscow",
                available=False,
                tags=["vip", "ünïcode", ""],
                create_time=NOW,
                update_time=NOW,
            ),
            Client(first_name=None, social_media={}, create_time=NOW, update_time=NOW),
        ]
        ids = [(await uow.clients.add(c)).id for c in made]
        await uow.commit()
    asked = [ids[2], 10**6, ids[0], ids[1], ids[0], 2**40]
    async with uow_factory() as uow:
        expected = await uow.clients.get_many(asked)
        found = await uow.sends.clients(asked)

    assert set(found) == set(ids)
    for client_id, client in found.items():
        assert type(client) is Client
        assert asdict(client) == asdict(expected[client_id])
        assert vars(client) == vars(expected[client_id])


async def test_no_audience_clients_of_no_ids(uow_factory: Any) -> None:
    async with uow_factory() as uow:
        assert await uow.sends.clients([]) == {}
        assert await uow.sends.clients([123456]) == {}
