# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""Which URLs of the identity provider may be trusted: https, or http on a loopback address."""

from urllib.parse import urlsplit

from ....hosts import is_loopback as is_loopback_host

DISCOVERY_PATH = "/.well-known/openid-configuration"


def discovery_url(issuer: str) -> str:
    """Where an issuer publishes its metadata (OpenID Connect Discovery 1.0, section 4)."""
    return issuer.rstrip("/") + DISCOVERY_PATH


def is_loopback(url: str) -> bool:
    return is_loopback_host(urlsplit(url).hostname or "")


def is_secure(url: str) -> bool:
    """https, or plain http to this machine (where nobody else can listen in)."""
    return urlsplit(url).scheme == "https" or is_loopback(url)
