# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""Which host names and addresses are this machine (where nobody else can listen in)."""

import ipaddress


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
