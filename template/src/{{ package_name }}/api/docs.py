# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""The interactive API docs (Swagger UI), served by the service itself when
`APP_DOCS_ENABLED` is on: no CDN, no third-party script, and they work offline.

Swagger UI's files come from the `fastapi-swagger` package (the update bot keeps it current)
and are served under `/docs/assets/`. Each page's inline script is allowed by its SHA-256 hash,
so the docs pages' Content-Security-Policy needs neither 'unsafe-inline' nor another origin.
ReDoc is not served: it needs web fonts and a bundle of its own from a CDN.
"""

import base64
import hashlib
import re
from importlib import resources

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from starlette.requests import Request
from starlette.responses import Response

DOCS_URL = "/docs"
ASSETS_URL = "/docs/assets"
# The package that ships Swagger UI's files, and the files the page loads, with their types.
SWAGGER_UI_FILES = "fastapi_swagger.resources"
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}
HTML = "text/html; charset=utf-8"
# Swagger UI's validator badge would send the schema's URL to validator.swagger.io.
SWAGGER_UI_PARAMETERS = {"validatorUrl": None}
INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def install(app: FastAPI, openapi_url: str) -> dict[str, str]:
    """Serve the docs page, its OAuth 2.0 redirect page and Swagger UI's files from `app`
    (created with `docs_url=None`; it serves its schema at `openapi_url`). Returns the
    Content-Security-Policy of each page, by path: every other response keeps the strict one.
    The pages are built once, here, and so are the hashes of their scripts."""
    files = resources.files(SWAGGER_UI_FILES)
    for name, media_type in ASSETS.items():
        _serve(app, f"{ASSETS_URL}/{name}", files.joinpath(name).read_bytes(), media_type)
    page = get_swagger_ui_html(
        openapi_url=openapi_url,
        title=f"{app.title} - Swagger UI",
        swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS_URL}/favicon-32x32.png",
        oauth2_redirect_url=app.swagger_ui_oauth2_redirect_url,
        init_oauth=app.swagger_ui_init_oauth,
        swagger_ui_parameters={**(app.swagger_ui_parameters or {}), **SWAGGER_UI_PARAMETERS},
    ).body
    _serve(app, DOCS_URL, bytes(page), HTML)
    policies = {DOCS_URL: docs_policy(bytes(page))}
    if redirect_url := app.swagger_ui_oauth2_redirect_url:
        redirect = bytes(get_swagger_ui_oauth2_redirect_html().body)
        _serve(app, redirect_url, redirect, HTML)
        policies[redirect_url] = redirect_policy(redirect)
    return policies


def script_hashes(html: bytes) -> str:
    """The CSP sources of a page's inline scripts: the SHA-256 digest of each, in base64."""
    return " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
        for script in INLINE_SCRIPT.findall(html.decode())
    )


def docs_policy(page: bytes) -> str:
    """The docs page: Swagger UI's files, the schema (fetched) and the icons of its stylesheet
    (data: URLs) from this service, and its own inline script by hash."""
    return (
        f"default-src 'none'; script-src 'self' {script_hashes(page)}; style-src 'self'; "
        "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    )


def redirect_policy(page: bytes) -> str:
    """The OAuth 2.0 redirect page: its inline script and nothing else."""
    return (
        f"default-src 'none'; script-src {script_hashes(page)}; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'"
    )


def _serve(app: FastAPI, path: str, content: bytes, media_type: str) -> None:
    async def endpoint(_: Request) -> Response:
        return Response(content, media_type=media_type)

    app.add_route(path, endpoint, methods=["GET"], name=path, include_in_schema=False)
