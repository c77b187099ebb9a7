# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""The request being served: its id, and its principal once authentication named one.

`observability.access` opens a `RequestContext` for every HTTP request. Code further in reads
the id with `current_request_id()` and names the authenticated caller with `identify()`: that
is the one channel through which the access record learns the principal.
"""

import random
from contextvars import ContextVar, Token
from dataclasses import dataclass


@dataclass(slots=True)
class RequestContext:
    request_id: str
    principal: str | None = None


_current: ContextVar[RequestContext | None] = ContextVar("request_context", default=None)


def new_request_id() -> str:
    """128 random bits in hex, for a request that brought no usable `X-Request-ID`.

    A label, not a secret (clients may choose their own): drawn from `random`, which needs no
    system call per request as `os.urandom` does, and is reseeded in every forked process.
    """
    return f"{random.getrandbits(128):032x}"


def open_request(request_id: str) -> tuple[RequestContext, Token[RequestContext | None]]:
    context = RequestContext(request_id)
    return context, _current.set(context)


def close_request(token: Token[RequestContext | None]) -> None:
    _current.reset(token)


def current_request_id() -> str | None:
    context = _current.get()
    return context.request_id if context is not None else None


def identify(principal: str) -> None:
    """Record the authenticated caller of the current request (for its access record)."""
    context = _current.get()
    if context is not None:
        context.principal = principal
