# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""The issuer's signing keys, and the one algorithm policy: which algorithm each key verifies.

Only asymmetric keys are taken from the issuer's JWK Set, and each verifies only the
algorithms of its type (or the one its `alg` names): `none` and the HMAC family can never
verify a token, whatever its header says, because no key here accepts them.
"""

from base64 import urlsafe_b64decode
from collections.abc import Mapping
from dataclasses import dataclass

from joserfc.errors import JoseError
from joserfc.jwk import Key, import_key

RSA_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"})
CURVE_ALGORITHMS: Mapping[str, frozenset[str]] = {
    "P-256": frozenset({"ES256"}),
    "P-384": frozenset({"ES384"}),
    "P-521": frozenset({"ES512"}),
    "Ed25519": frozenset({"Ed25519", "EdDSA"}),
    "Ed448": frozenset({"Ed448", "EdDSA"}),
}
MIN_RSA_BITS = 2048
MAX_KEYS = 100
# Members of private keys (RFC 7518 section 6): a JWK Set published with them by mistake is
# still only used to verify.
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


@dataclass(frozen=True, slots=True)
class VerifyingKey:
    key: Key
    algorithms: frozenset[str]


@dataclass(frozen=True, slots=True)
class IssuerKeys:
    """The usable keys of one JWK Set: by `kid`, and those published without one."""

    named: Mapping[str, VerifyingKey]
    unnamed: tuple[VerifyingKey, ...] = ()

    def find(self, kid: object, algorithm: str) -> VerifyingKey | None:
        """The key a token header names. Without a `kid`, the issuer's only key for the
        algorithm; never a guess among several."""
        if kid is not None:
            named = self.named.get(kid) if isinstance(kid, str) else None
            return named if named is not None and algorithm in named.algorithms else None
        candidates = [
            key for key in (*self.named.values(), *self.unnamed) if algorithm in key.algorithms
        ]
        return candidates[0] if len(candidates) == 1 else None

    def knows(self, kid: object) -> bool:
        return isinstance(kid, str) and kid in self.named

    def __len__(self) -> int:
        return len(self.named) + len(self.unnamed)


def parse_key_set(document: Mapping[str, object]) -> IssuerKeys:
    """The signing keys of a JWK Set document; keys that cannot verify a token are skipped."""
    entries = document.get("keys")
    if not isinstance(entries, list):
        raise ValueError("a JWK Set has a list of keys")
    named: dict[str, VerifyingKey] = {}
    unnamed: list[VerifyingKey] = []
    for entry in entries[:MAX_KEYS]:
        key = _verifying_key(entry) if isinstance(entry, dict) else None
        if key is None:
            continue
        kid = entry.get("kid")
        if isinstance(kid, str):
            named.setdefault(kid, key)  # a duplicate kid never replaces the first key
        else:
            unnamed.append(key)
    return IssuerKeys(named, tuple(unnamed))


def _verifying_key(entry: Mapping[str, object]) -> VerifyingKey | None:
    if entry.get("use", "sig") != "sig":
        return None  # an encryption key
    operations = entry.get("key_ops")
    if operations is not None and (not isinstance(operations, list) or "verify" not in operations):
        return None
    algorithms = _algorithms(entry)
    if not algorithms or (entry["kty"] == "RSA" and _modulus_bits(entry) < MIN_RSA_BITS):
        return None
    public = {name: value for name, value in entry.items() if name not in PRIVATE_MEMBERS}
    try:
        key = import_key(public)  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError):
        return None
    return VerifyingKey(key, algorithms)


def _modulus_bits(entry: Mapping[str, object]) -> int:
    modulus = entry.get("n")
    if not isinstance(modulus, str):
        return 0
    try:
        return int.from_bytes(urlsafe_b64decode(modulus + "==")).bit_length()
    except ValueError:
        return 0


def _algorithms(entry: Mapping[str, object]) -> frozenset[str]:
    """The algorithms a key may verify: those of its type, or the one its `alg` names."""
    kty = entry.get("kty")
    if kty == "RSA":
        algorithms = RSA_ALGORITHMS
    elif kty in ("EC", "OKP"):
        algorithms = CURVE_ALGORITHMS.get(str(entry.get("crv")), frozenset())
    else:
        return frozenset()  # `oct` (a shared secret) and anything unknown
    declared = entry.get("alg")
    return algorithms if declared is None else algorithms & {declared}
