# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""The format of an API key, and the one thing stored of it: a SHA-256 hash.

A key reads `ak_<key id>_<secret>`: `ak_`, 16 hex digits of key id (64 random bits, not
secret: it finds the key's row, as a user name would) and 43 URL-safe characters of secret
(256 random bits). Only the SHA-256 of the whole key is stored.

Why a fast hash is right here, where passwords need argon2id: a slow hash exists to make
guessing expensive when the guesses come from a small space (what people choose). A key is
256 random bits; no guessing, however fast, gets anywhere near it, so a leaked table of
hashes gives away nothing, and the hash can be checked on every request in about a
microsecond. The stored hash is compared in constant time all the same.
"""

import hashlib
import re
import secrets
from dataclasses import dataclass

PREFIX = "ak_"
KEY_ID_BYTES = 8
SECRET_BYTES = 32
KEY_PATTERN = re.compile(r"ak_([0-9a-f]{16})_[A-Za-z0-9_-]{43}")
"""A well-formed key; group 1 is its key id. Anything else is refused before any lookup."""


@dataclass(frozen=True, slots=True)
class NewKey:
    key: str
    """Shown once, to whoever created it; never stored."""
    key_id: str
    key_hash: bytes


def digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


def new_key() -> NewKey:
    key_id = secrets.token_hex(KEY_ID_BYTES)
    key = f"{PREFIX}{key_id}_{secrets.token_urlsafe(SECRET_BYTES)}"
    return NewKey(key=key, key_id=key_id, key_hash=digest(key))
