# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""The API docs, when on: served by the service itself (offline, no third-party script) under
the narrowest Content-Security-Policy that lets them work; nothing of them when off."""

import base64
import hashlib
from html.parser import HTMLParser
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI

from .support import assert_problem
from .test_headers import SECURITY_HEADERS

pytestmark = pytest.mark.anyio

STRICT_CSP = SECURITY_HEADERS["content-security-policy"]
PAGES = ("/docs", "/docs/oauth2-redirect")
ASSETS = {
    "/docs/assets/swagger-ui-bundle.js": "text/javascript",
    "/docs/assets/swagger-ui.css": "text/css",
    "/docs/assets/favicon-32x32.png": "image/png",
}


class Page(HTMLParser):
    """The URLs a page loads (`src`, `href`) and the text of its inline scripts."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts: list[str] = []
        self._in_inline_script = False
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.urls += [url for name in ("src", "href") if (url := values.get(name))]
        if tag == "script" and "src" not in values:
            self._in_inline_script = True
            self.inline_scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_inline_script = False

    def handle_data(self, data: str) -> None:
        if self._in_inline_script:
            self.inline_scripts[-1] += data


def policy(response: httpx.Response) -> dict[str, set[str]]:
    """The response's Content-Security-Policy, by directive."""
    directives = (part.split() for part in response.headers["content-security-policy"].split(";"))
    return {name: set(sources) for name, *sources in directives}


def sha256_source(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"


@pytest.fixture
def docs_client(make_app, make_client) -> httpx.AsyncClient:
    """A development app: the docs are on by default there."""
    app: FastAPI = make_app(env="development")
    return make_client(app)


async def test_the_docs_page_loads_nothing_from_elsewhere(docs_client) -> None:
    response = await docs_client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    page = Page(response.text)
    assert sorted(page.urls) == sorted(ASSETS)
    for url in page.urls:
        assert not urlsplit(url).netloc, url  # no URL of another origin (nor `//host/...`)
    assert "http:" not in response.text
    assert "https:" not in response.text
    assert "url: '/openapi.json'" in page.inline_scripts[0]


async def test_every_file_of_the_docs_page_is_served_here(docs_client) -> None:
    page = Page((await docs_client.get("/docs")).text)
    for url in [*page.urls, "/openapi.json"]:
        response = await docs_client.get(url)
        assert response.status_code == 200, url
        media_type = ASSETS.get(url, "application/json")
        assert response.headers["content-type"].split(";")[0] == media_type, url
        assert len(response.content) > 100, url
        for name, value in SECURITY_HEADERS.items():
            assert response.headers[name] == value, (url, name)
        assert "server" not in response.headers
    bundle = await docs_client.get("/docs/assets/swagger-ui-bundle.js")
    assert b"SwaggerUIBundle" in bundle.content


@pytest.mark.parametrize("path", PAGES)
async def test_docs_pages_allow_their_own_inline_scripts_by_hash_only(
    docs_client, path: str
) -> None:
    response = await docs_client.get(path)
    assert response.status_code == 200
    scripts = Page(response.text).inline_scripts
    assert len(scripts) == 1
    directives = policy(response)
    expected_scripts = {sha256_source(scripts[0])}
    if path == "/docs":
        expected_scripts.add("'self'")  # Swagger UI's bundle
        assert directives["style-src"] == {"'self'"}
        assert directives["img-src"] == {"'self'", "data:"}  # the stylesheet's icons
        assert directives["connect-src"] == {"'self'"}  # the schema, and "Try it out"
    assert directives["script-src"] == expected_scripts
    assert directives["default-src"] == {"'none'"}
    assert directives["frame-ancestors"] == {"'none'"}
    assert directives["base-uri"] == {"'none'"}
    header = response.headers["content-security-policy"]
    assert "unsafe" not in header
    assert "http" not in header  # no other origin
    for name, value in SECURITY_HEADERS.items():
        if name != "content-security-policy":
            assert response.headers[name] == value, name


async def test_every_other_response_keeps_the_strict_policy(docs_client) -> None:
    for path in ("/openapi.json", *ASSETS, "/health/live", "/api/v1/me", "/docs/", "/docsx"):
        response = await docs_client.get(path)
        assert response.headers["content-security-policy"] == STRICT_CSP, path


@pytest.mark.parametrize(
    "settings", [{}, {"env": "development", "docs_enabled": False}], ids=["production", "off"]
)
async def test_nothing_of_the_docs_is_served_when_they_are_off(
    make_app, make_client, settings: dict[str, object]
) -> None:
    client = make_client(make_app(**settings))
    for path in (*PAGES, *ASSETS, "/openapi.json", "/redoc"):
        response = await client.get(path)
        assert_problem(response, 404)
        assert response.headers["content-security-policy"] == STRICT_CSP, path
