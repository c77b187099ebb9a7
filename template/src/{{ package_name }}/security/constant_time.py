# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""Comparing secrets: in constant time, through `equal`, never with `==` (a rendered test
looks for `==` on secrets)."""

import hmac


def equal(given: str | bytes, expected: str | bytes) -> bool:
    """Whether two secrets are equal, in a time that does not depend on where they differ."""
    given_bytes = given.encode() if isinstance(given, str) else given
    expected_bytes = expected.encode() if isinstance(expected, str) else expected
    return hmac.compare_digest(given_bytes, expected_bytes)
