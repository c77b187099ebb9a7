"""Write the generated service's git-ignored ``.env`` once, right after ``copier copy``.

The file holds development settings and, for ``auth == 'jwt'`` with HS256, a freshly
generated ``APP_JWT_SECRET``. It is created only when it does not exist yet (an existing ``.env`` is
never touched), with mode 0600. Nothing random ever goes into a tracked file or into
``.copier-answers.yml``: this file is the only place the secret is written.

Standard library only: Copier runs it with its own interpreter.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path

SECRET_BYTES = 48
HEADER = (
    "# Local development settings, written once by the project template.\n"
    "# Git-ignored: never commit this file. A process started with APP_ENV=production never\n"
    "# reads it (settings come from the environment and APP_SECRETS_DIR); development mode\n"
    "# serves on loopback addresses only.\n"
)


def dotenv_text(auth: str, jwt_algorithm: str = "HS256") -> str:
    """Return the content of a new ``.env`` for the given ``auth`` and ``jwt_algorithm``
    answers (the asymmetric algorithms sign with an ephemeral key pair in development)."""
    lines = ["APP_ENV=development"]
    if auth == "jwt" and jwt_algorithm == "HS256":
        lines.append(f"APP_JWT_SECRET={secrets.token_urlsafe(SECRET_BYTES)}")
    return HEADER + "\n".join(lines) + "\n"


def create_dotenv(destination: Path, auth: str, jwt_algorithm: str = "HS256") -> bool:
    """Create ``destination/.env``; return False when it already existed."""
    path = destination / ".env"
    try:
        # O_EXCL: never overwrite, not even a file that appears between check and write.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(dotenv_text(auth, jwt_algorithm))
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--auth", required=True, help="the template's `auth` answer")
    parser.add_argument("--jwt-algorithm", default="HS256", help="its `jwt_algorithm` answer")
    parser.add_argument(
        "destination", nargs="?", type=Path, default=Path(), help="project directory"
    )
    args = parser.parse_args(argv)
    if create_dotenv(args.destination, args.auth, args.jwt_algorithm):
        print("Created .env (git-ignored) with development settings.", file=sys.stderr)
    else:
        print(".env already exists; left unchanged.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
