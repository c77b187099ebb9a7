# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""Fetching the identity provider's JSON documents: asynchronous, bounded in time and size.

Redirects are not followed and compressed answers are refused: what is read is at most
`MAX_DOCUMENT_BYTES`, exactly as sent, within one time limit for the whole exchange.
"""

import asyncio
import json

import httpx

MAX_DOCUMENT_BYTES = 256 * 1024


class FetchError(Exception):
    """The document could not be fetched or is no JSON object; the message is for the log."""


async def fetch_json(
    url: str, *, time_limit: float, max_bytes: int = MAX_DOCUMENT_BYTES
) -> dict[str, object]:
    """The JSON object at `url`, read within `time_limit` seconds in all."""
    try:
        async with asyncio.timeout(time_limit):
            body = await _read(url, time_limit, max_bytes)
    except (httpx.HTTPError, TimeoutError) as error:
        raise FetchError(f"{url} could not be fetched ({type(error).__name__})") from error
    try:
        document = json.loads(body)
    except ValueError as error:  # UnicodeDecodeError is a ValueError too
        raise FetchError(f"{url} did not answer with JSON") from error
    if not isinstance(document, dict):
        raise FetchError(f"{url} did not answer with a JSON object")
    return document


async def _read(url: str, time_limit: float, max_bytes: int) -> bytes:
    headers = {"Accept": "application/json", "Accept-Encoding": "identity"}
    async with (
        httpx.AsyncClient(timeout=time_limit, follow_redirects=False) as client,
        client.stream("GET", url, headers=headers) as response,
    ):
        if response.status_code != httpx.codes.OK:
            raise FetchError(f"{url} answered {response.status_code}")
        if response.headers.get("content-encoding", "identity").lower() != "identity":
            raise FetchError(f"{url} answered with a compressed body")
        declared = response.headers.get("content-length", "0")
        if not declared.isdigit() or int(declared) > max_bytes:
            raise FetchError(f"{url} announced an invalid or too large body")
        body = bytearray()
        async for chunk in response.aiter_raw():
            body += chunk
            if len(body) > max_bytes:
                raise FetchError(f"{url} sent more than {max_bytes} bytes")
        return bytes(body)
