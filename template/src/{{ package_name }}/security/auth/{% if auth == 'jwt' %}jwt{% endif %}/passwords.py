# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""Password hashing with argon2id (pwdlib), off the event loop."""

from functools import cache

from fastapi.concurrency import run_in_threadpool
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024

_argon2 = PasswordHash((Argon2Hasher(),))


@cache
def _dummy_hash() -> str:
    """A hash to verify against when the user does not exist, so that an unknown user and a
    wrong password cost the same time and get the same answer. Made once per process."""
    return _argon2.hash("unknown user: nothing to compare")


class PasswordHasher:
    def __init__(self) -> None:
        self._dummy_hash = _dummy_hash()

    def hash(self, password: str) -> str:
        return _argon2.hash(password)

    async def verify(self, password: str, password_hash: str | None) -> bool:
        matches = await run_in_threadpool(
            _argon2.verify, password, password_hash or self._dummy_hash
        )
        return matches and password_hash is not None
