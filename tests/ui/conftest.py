"""The pages over ASGI: a browser-like client per role, signed in through the sign-in form."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from points_service.settings import Settings

from conftest import Api
from support.ui import Browser, Browsers


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The tests' settings, with endpoints on loopback allowed and the dispatcher driven by hand
    (the endpoints page's receiver is on loopback)."""
    return settings.model_copy(update={"webhook_allow_private": True, "dispatch": False})


@pytest.fixture
async def browsers(api: Api) -> AsyncIterator[Browsers]:
    """Sign in as any role (the viewer's account, `acme`, is made first)."""
    await api.account("acme")
    made = Browsers(api)
    yield made
    for client in made.clients:
        await client.aclose()


@pytest.fixture
async def anonymous(api: Api) -> AsyncIterator[Browser]:
    async with httpx.AsyncClient(transport=api.client._transport, base_url="http://127.0.0.1") as client:
        yield Browser(client)
