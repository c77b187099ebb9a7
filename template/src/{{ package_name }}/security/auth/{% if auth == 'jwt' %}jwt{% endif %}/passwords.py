# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""Password hashing with argon2id (pwdlib), off the event loop, a few at a time."""

import asyncio
from functools import cache

from fastapi.concurrency import run_in_threadpool
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
MAX_CONCURRENT_HASHES = 4
"""Password checks running at once per process; each holds 64 MiB while it runs."""

_argon2 = PasswordHash((Argon2Hasher(),))


@cache
def _dummy_hash() -> str:
    """A hash to verify against when the user does not exist, so that an unknown user and a
    wrong password cost the same time and get the same answer. Made once per process."""
    return _argon2.hash("unknown user: nothing to compare")


class PasswordHasher:
    def __init__(self, *, concurrency: int = MAX_CONCURRENT_HASHES) -> None:
        self._dummy_hash = _dummy_hash()
        # argon2id takes 64 MiB per hash: a login flood waits here instead of growing memory.
        self._slots = asyncio.Semaphore(concurrency)

    def hash(self, password: str) -> str:
        return _argon2.hash(password)

    async def verify(self, password: str, password_hash: str | None) -> bool:
        async with self._slots:
            matches = await run_in_threadpool(
                _argon2.verify, password, password_hash or self._dummy_hash
            )
        return matches and password_hash is not None
