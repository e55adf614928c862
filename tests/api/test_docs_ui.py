"""The interactive docs work offline: `/docs` and `/redoc` load every script, stylesheet and icon
from the service itself, never from a CDN (api/docs_ui.py)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from points_service.api.docs_ui import ASSETS_DIR
from points_service.app import create_app
from points_service.settings import Settings

from support.problems import problem

CONTENT_TYPES = {
    ".js": ("text/javascript", "application/javascript"),
    ".css": ("text/css",),
    ".png": ("image/png",),
}


class _Assets(HTMLParser):
    """The URLs a page makes the browser load: `<script src>` and `<link href>` (stylesheet, icon)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"script": "src", "link": "href"}.get(tag)
        self.urls += [value for name, value in attrs if name == wanted and value]


def loaded_urls(html: str) -> list[str]:
    parser = _Assets()
    parser.feed(html)
    return parser.urls


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The app on a database it never touches: the docs need none."""
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'points.db'}"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        yield http
    await app.state.db.dispose()


@pytest.mark.parametrize(("page", "expected"), [("/docs", {".js", ".css", ".png"}), ("/redoc", {".js", ".png"})])
async def test_every_asset_of_the_page_is_served_by_the_service(
    client: httpx.AsyncClient, page: str, expected: set[str]
) -> None:
    r = await client.get(page)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), r.text
    urls = loaded_urls(r.text)
    assert {Path(urlsplit(url).path).suffix for url in urls} == expected, urls
    for url in urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc and url.startswith("/"), f"{url} is not on this service"
    assert not re.search(r"https?://", r.text), "the page names another host"
    for url in urls:
        asset = await client.get(url)
        assert asset.status_code == 200, (url, asset.text[:200])
        kind = asset.headers["content-type"].split(";")[0]
        assert kind in CONTENT_TYPES[Path(urlsplit(url).path).suffix], (url, kind)
        assert len(asset.content) > 1000, url  # the file itself, not an empty stand-in


async def test_the_swagger_page_loads_this_services_openapi_document(client: httpx.AsyncClient) -> None:
    r = await client.get("/docs")
    assert "url: '/openapi.json'" in r.text
    assert (await client.get("/openapi.json")).json()["info"]["title"] == "points-service"
    assert (await client.get("/docs/oauth2-redirect")).status_code == 200


async def test_a_missing_asset_is_a_404_problem_and_assets_are_only_read(client: httpx.AsyncClient) -> None:
    problem(await client.get("/docs/assets/swagger-ui/nothing.js"), 404, "not-found")
    problem(await client.get("/docs/assets/../app.py"), 404, "not-found")
    refused = await client.post("/docs/assets/swagger-ui/swagger-ui.css")
    problem(refused, 405, "method-not-allowed")
    assert refused.headers["allow"] == "GET, HEAD"


def test_each_vendored_asset_folder_carries_its_licence() -> None:
    folders = [path for path in ASSETS_DIR.iterdir() if path.is_dir()]
    assert {folder.name for folder in folders} == {"swagger-ui", "redoc", "fastapi"}
    for folder in folders:
        assert (folder / "LICENSE").is_file(), folder
