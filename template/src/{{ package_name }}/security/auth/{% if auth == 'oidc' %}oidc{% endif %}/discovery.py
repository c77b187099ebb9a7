# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""The issuer's metadata: fetched from its discovery document, validated with authlib."""

from authlib.oidc.discovery import OpenIDProviderMetadata  # type: ignore[import-untyped]

from .fetch import FetchError, fetch_json
from .urls import discovery_url, is_secure


async def jwks_url(issuer: str, *, time_limit: float, require_secure: bool) -> str:
    """The `jwks_uri` the issuer's discovery document names, once the document proved valid:
    authlib's checks of OpenID Provider Metadata, and the exact `issuer` we trust
    (section 4.3: a document claiming another issuer is not this one's)."""
    url = discovery_url(issuer)
    metadata = OpenIDProviderMetadata(await fetch_json(url, time_limit=time_limit))
    try:
        metadata.validate()
    except (ValueError, TypeError, KeyError, AttributeError) as error:  # a hostile document
        raise FetchError(f"{url} is no valid OpenID Provider Metadata: {error}") from error
    if metadata.get("issuer") != issuer:
        raise FetchError(f"{url} names another issuer than APP_OIDC_ISSUER")
    jwks_uri = metadata["jwks_uri"]
    if not isinstance(jwks_uri, str) or (require_secure and not is_secure(jwks_uri)):
        raise FetchError(f"{url} names a jwks_uri that is not https")
    return jwks_uri
