# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""Access tokens from the issuer: what makes one valid here, and the principal it names.

Signature by one of the issuer's keys (`keys.py` decides which algorithm each key verifies;
keys a token's header names or carries, `jwk` `jku` `x5u` `x5c`, are never used or fetched),
then the claims: exactly our `iss`, our audience in `aud`, `exp` (with a small leeway), `sub`,
and `nbf` and `iat` when present. ID tokens are refused as access tokens: by their `typ` (RFC
9068 `at+jwt` when present; `JWT` only when APP_OIDC_ACCEPT_JWT_TYP allows it), by claims only
ID tokens carry, and by their audience (a client, not this API).
"""

import hashlib
import json
import warnings
from collections.abc import Mapping
from dataclasses import dataclass

from joserfc import jws
from joserfc.errors import JoseError, SecurityWarning
from joserfc.jwk import Key
from joserfc.jws import CompactSignature
from joserfc.jwt import ClaimsOption, JWTClaimsRegistry

from ..principal import Principal

MAX_TOKEN_CHARS = 16_384
ACCESS_TOKEN_TYPES = frozenset({"at+jwt", "application/at+jwt"})
GENERIC_TYPES = frozenset({"jwt", "application/jwt"})
# Claims of ID tokens (OpenID Connect Core 3.1.3.6, 3.3.2.11), and Keycloak's type claim.
ID_TOKEN_CLAIMS = ("at_hash", "c_hash", "s_hash")
SUBJECT_MAX_CHARS = 255  # the `owner` column of items
NAMESPACE_CHARS = 16


class InvalidTokenError(Exception):
    """Any reason a token is refused; the reason is never shown to the client."""


@dataclass(frozen=True, slots=True)
class TokenHeader:
    signature: CompactSignature
    algorithm: str
    kid: object


def subject_of(issuer: str, sub: str) -> str:
    """The principal (`iss`, `sub`) as one string of at most 255 characters: a digest of the
    issuer, then `:` and the subject as it is, or `#` and its SHA-256 when the subject is too
    long or not printable. The same pair always gives the same string."""
    namespace = hashlib.sha256(issuer.encode()).hexdigest()[:NAMESPACE_CHARS]
    if len(sub) <= SUBJECT_MAX_CHARS - NAMESPACE_CHARS - 1 and sub.isprintable():
        return f"{namespace}:{sub}"
    return f"{namespace}#{hashlib.sha256(sub.encode(errors='surrogatepass')).hexdigest()}"


def scopes_of(claims: Mapping[str, object]) -> frozenset[str]:
    """The granted scopes: `scope` (space-separated, RFC 9068), else `scp` (a list, as Entra ID
    and Okta send, or a string)."""
    granted = claims.get("scope", claims.get("scp"))
    if granted is None:
        return frozenset()
    if isinstance(granted, str):
        return frozenset(granted.split())
    if isinstance(granted, list) and all(isinstance(scope, str) for scope in granted):
        return frozenset(part for scope in granted for part in scope.split())
    raise InvalidTokenError


class AccessTokenVerifier:
    def __init__(self, *, issuer: str, audience: str, leeway: int, accept_jwt_typ: bool) -> None:
        self.issuer = issuer
        required: ClaimsOption = {"essential": True}
        self._claims = JWTClaimsRegistry(
            leeway=leeway,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": audience},
            sub=required,
            exp=required,
        )
        self._types = ACCESS_TOKEN_TYPES | (GENERIC_TYPES if accept_jwt_typ else frozenset())

    def header(self, token: str) -> TokenHeader:
        """The token's parsed form and the algorithm and key id its header names (unverified:
        only to pick the key)."""
        if len(token) > MAX_TOKEN_CHARS or token.count(".") != 2:
            raise InvalidTokenError
        try:
            signature = jws.extract_compact(token.encode())
            header = signature.headers()
        except (JoseError, ValueError, TypeError) as error:
            raise InvalidTokenError from error
        algorithm = header.get("alg")
        kind = header.get("typ")
        if not isinstance(algorithm, str):
            raise InvalidTokenError
        if kind is not None and (not isinstance(kind, str) or kind.lower() not in self._types):
            raise InvalidTokenError
        return TokenHeader(signature, algorithm, header.get("kid"))

    def verify(self, header: TokenHeader, key: Key) -> tuple[Principal, int]:
        """The principal and expiry of a token whose header named `key`."""
        try:
            if not _signature_valid(header, key):
                raise InvalidTokenError
            claims = json.loads(header.signature.payload or b"")
            if not isinstance(claims, dict):
                raise InvalidTokenError
            self._claims.validate(claims)
        except (JoseError, ValueError, TypeError) as error:
            raise InvalidTokenError from error
        if any(name in claims for name in ID_TOKEN_CLAIMS) or claims.get("typ") == "ID":
            raise InvalidTokenError  # an ID token
        principal = Principal(subject_of(self.issuer, claims["sub"]), scopes_of(claims))
        return principal, int(claims["exp"])


def _signature_valid(header: TokenHeader, key: Key) -> bool:
    if header.algorithm != "EdDSA":
        return jws.validate_compact(header.signature, key, [header.algorithm])
    with warnings.catch_warnings():
        # joserfc warns about the name EdDSA (RFC 9864: use Ed25519), which issuers still use.
        warnings.simplefilter("ignore", SecurityWarning)
        return jws.validate_compact(header.signature, key, [header.algorithm])
