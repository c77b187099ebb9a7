# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""Liveness and readiness probes: exempt from HTTPS enforcement and rate limits."""

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from loguru import logger

from ..errors import problem_response
from ..services import ReadinessCheck, services_of

CHECK_TIMEOUT_SECONDS = 2.0

router = APIRouter(prefix="/health", tags=["health"])


# HEAD too: some load balancers probe with it.
@router.get("/live")
@router.head("/live", include_in_schema=False)
async def live() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/ready", response_model=None)
@router.head("/ready", response_model=None, include_in_schema=False)
async def ready(request: Request) -> JSONResponse:
    """200 when every dependency the API needs is ready, else 503 naming the ones that fail.

    The reasons go to the server log only: clients learn names, never internals.
    """
    checks = services_of(request).readiness
    results = await asyncio.gather(*(_run(name, check) for name, check in checks.items()))
    failing = [name for name, ok in zip(checks, results, strict=True) if not ok]
    if failing:
        return problem_response(503, "A dependency is unavailable.", failing=failing)
    return JSONResponse({"status": "ok", "checks": dict.fromkeys(checks, "ok")})


async def _run(name: str, check: ReadinessCheck) -> bool:
    try:
        await asyncio.wait_for(check(), CHECK_TIMEOUT_SECONDS)
    except Exception as error:  # any failure means "not ready"
        logger.opt(exception=error).warning("Readiness check failed: {} is not ready", name)
        return False
    return True
