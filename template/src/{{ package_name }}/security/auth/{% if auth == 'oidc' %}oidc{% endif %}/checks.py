# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""Deploy checks of `auth=oidc`: messages name the setting, never its value."""

from ....settings import Settings
from .urls import is_secure


def deploy_problems(settings: Settings) -> list[str]:
    problems = []
    if not settings.oidc_issuer:
        problems.append(
            "APP_OIDC_ISSUER is not set: use the issuer identifier of your identity provider"
        )
    elif not is_secure(settings.oidc_issuer):
        problems.append("APP_OIDC_ISSUER is not https: production trusts keys over https only")
    if not settings.oidc_audience:
        problems.append("APP_OIDC_AUDIENCE is not set: use the audience that names this API")
    if settings.oidc_jwks_url and not is_secure(settings.oidc_jwks_url):
        problems.append("APP_OIDC_JWKS_URL is not https: production trusts keys over https only")
    return problems
