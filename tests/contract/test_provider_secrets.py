"""Provider secrets are sealed at rest on SQLite and PostgreSQL: the row never holds the plain text."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from adapters.sealing.fernet import FernetSealer
from adapters.sqlalchemy.unit_of_work import SqlUnitOfWorkFactory
from application.ports import SecretsUnreadable
from application.queries import Query
from domain.dictionaries import ChannelKind
from domain.providers import Provider, ProviderKind
from domain.webhooks import EventType, WebhookSubscription

TOKEN = "auth-token-0123456789abcdef"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def twilio(name: str = "twilio-main") -> Provider:
    return Provider(
        name=name,
        kind=ProviderKind.TWILIO,
        channel_kind=ChannelKind.SMS,
        settings={"account_sid": "AC0001", "from_number": "+15550001111"},
        secrets={"auth_token": TOKEN},
        create_time=NOW,
        update_time=NOW,
    )


def keyed(factory: SqlUnitOfWorkFactory, current: bytes, *previous: bytes) -> SqlUnitOfWorkFactory:
    """Another process over the same database, with its own SECRET_KEY (and previous keys)."""
    return SqlUnitOfWorkFactory(factory.engine, sealer=FernetSealer(current, previous))


async def add(factory: Any, provider: Provider) -> int:
    async with factory() as uow:
        added = await uow.providers.add(provider)
        await uow.commit()
    assert added.id is not None
    return added.id


async def raw_secrets(factory: SqlUnitOfWorkFactory) -> dict[str, str]:
    """The secrets column as the database holds it, read with plain SQL past every repository."""
    async with factory.engine.connect() as conn:
        text = (await conn.execute(sa.text("SELECT secrets FROM providers"))).scalar_one()
    kept = json.loads(text) if isinstance(text, str) else text
    assert isinstance(kept, dict)
    return kept


async def secrets_of(factory: Any, provider_id: int) -> dict[str, str]:
    async with factory(read_only=True) as uow:
        found = await uow.providers.get(provider_id)
    assert found is not None
    return dict(found.secrets)


async def test_the_stored_row_holds_no_plain_secret_and_reads_back(sql_uow_factory: Any) -> None:
    provider_id = await add(sql_uow_factory, twilio())

    kept = await raw_secrets(sql_uow_factory)
    assert set(kept) == {"auth_token"}
    assert TOKEN not in kept["auth_token"] and kept["auth_token"].startswith("fernet:")
    assert await secrets_of(sql_uow_factory, provider_id) == {"auth_token": TOKEN}
    async with sql_uow_factory(read_only=True) as uow:
        listed = await uow.providers.find(Query((), limit=10))
    assert [p.secrets for p in listed] == [{"auth_token": TOKEN}]


async def test_a_change_seals_the_new_secret_too(sql_uow_factory: Any) -> None:
    provider_id = await add(sql_uow_factory, twilio())
    async with sql_uow_factory() as uow:
        found = await uow.providers.get(provider_id)
        found.__dict__["secrets"] = {"auth_token": "another-token-9876543210"}
        await uow.providers.update(found)
        await uow.commit()

    assert "another-token" not in json.dumps(await raw_secrets(sql_uow_factory))
    assert await secrets_of(sql_uow_factory, provider_id) == {"auth_token": "another-token-9876543210"}


async def test_plain_rows_of_before_sealing_still_read_and_get_sealed_at_start(sql_uow_factory: Any) -> None:
    provider_id = await add(sql_uow_factory, twilio())
    async with sql_uow_factory.engine.begin() as conn:  # the row as a release before sealing left it
        await conn.execute(
            sa.text("UPDATE providers SET secrets = :plain"), {"plain": json.dumps({"auth_token": TOKEN})}
        )
    assert await secrets_of(sql_uow_factory, provider_id) == {"auth_token": TOKEN}

    assert await sql_uow_factory.seal_kept_secrets() == 1
    assert TOKEN not in json.dumps(await raw_secrets(sql_uow_factory))
    assert await secrets_of(sql_uow_factory, provider_id) == {"auth_token": TOKEN}
    assert await sql_uow_factory.seal_kept_secrets() == 0  # sealed already: nothing rewritten


async def test_a_wrong_key_is_refused_on_use_and_at_start_never_garbled(sql_uow_factory: Any) -> None:
    provider_id = await add(sql_uow_factory, twilio())
    wrong = keyed(sql_uow_factory, b"not the key it was sealed with")

    with pytest.raises(SecretsUnreadable, match="twilio-main"):
        await secrets_of(wrong, provider_id)
    with pytest.raises(SecretsUnreadable, match="SECRET_KEY"):
        await wrong.seal_kept_secrets()
    assert await secrets_of(sql_uow_factory, provider_id) == {"auth_token": TOKEN}  # nothing overwritten


async def test_a_rotated_key_opens_the_old_seal_and_seals_anew(sql_uow_factory: Any) -> None:
    old = keyed(sql_uow_factory, b"old key")
    provider_id = await add(old, twilio())
    rotating = keyed(sql_uow_factory, b"new key", b"old key")

    assert await secrets_of(rotating, provider_id) == {"auth_token": TOKEN}
    assert await rotating.seal_kept_secrets() == 1

    assert await secrets_of(keyed(sql_uow_factory, b"new key"), provider_id) == {"auth_token": TOKEN}
    with pytest.raises(SecretsUnreadable):
        await secrets_of(old, provider_id)


async def test_without_a_key_secrets_are_neither_kept_nor_read(sql_uow_factory: Any) -> None:
    provider_id = await add(sql_uow_factory, twilio())
    keyless = SqlUnitOfWorkFactory(sql_uow_factory.engine)

    with pytest.raises(SecretsUnreadable):
        await add(keyless, twilio("twilio-other"))
    with pytest.raises(SecretsUnreadable):
        await secrets_of(keyless, provider_id)


SIGNING_SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


async def test_a_webhook_subscriptions_signing_secret_is_sealed_too(sql_uow_factory: Any) -> None:
    async with sql_uow_factory() as uow:
        added = await uow.webhook_subscriptions.add(
            WebhookSubscription(
                url="http://crm.example/hooks",
                event_types=[EventType.SEND_COMPLETED],
                secret=SIGNING_SECRET,
                create_time=NOW,
                update_time=NOW,
            )
        )
        await uow.commit()
    async with sql_uow_factory.engine.connect() as conn:
        kept = (await conn.execute(sa.text("SELECT secret FROM webhook_subscriptions"))).scalar_one()
    assert SIGNING_SECRET not in kept and kept.startswith("fernet:")
    async with sql_uow_factory(read_only=True) as uow:
        found = await uow.webhook_subscriptions.get(added.id)
    assert found is not None and found.secret == SIGNING_SECRET

    # Kept plain by an earlier release: read as it is, sealed at the next start.
    async with sql_uow_factory.engine.begin() as conn:
        await conn.execute(sa.text("UPDATE webhook_subscriptions SET secret = :s"), {"s": SIGNING_SECRET})
    assert await sql_uow_factory.seal_kept_secrets() == 1
    async with sql_uow_factory.engine.connect() as conn:
        kept = (await conn.execute(sa.text("SELECT secret FROM webhook_subscriptions"))).scalar_one()
    assert kept.startswith("fernet:")
    with pytest.raises(SecretsUnreadable, match=r"crm\.example"):
        async with keyed(sql_uow_factory, b"not the key")(read_only=True) as uow:
            await uow.webhook_subscriptions.get(added.id)
