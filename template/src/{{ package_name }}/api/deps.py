# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""Named dependencies for your routes: the services, a database session, the caller.

Import these in `api/` instead of reaching into `request.app.state`.
"""

from typing import Annotated

from fastapi import Depends, Request

from ..db.engine import Session
from ..security.auth.principal import Principal, current_principal, require_scopes
from ..security.body import SMALL_JSON_BODY, require_json
from ..services import Services, services_of

__all__ = [
    "SMALL_JSON_BODY",
    "CurrentPrincipal",
    "JsonBody",
    "Principal",
    "ServicesDep",
    "Session",
    "require_scopes",
]


def _services(request: Request) -> Services:
    return services_of(request)


ServicesDep = Annotated[Services, Depends(_services)]
"""The app's services (settings, database, authenticator, limiter, readiness checks)."""
CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
"""The authenticated caller; 401 without valid credentials."""
JsonBody = Depends(require_json)
"""For `dependencies=[JsonBody]`: a body that is not JSON gets 415."""
