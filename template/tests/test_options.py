# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""The options this service was generated with: each has its seam's shape, and every setting
is documented in `.env.example`."""

import re
from pathlib import Path

import pytest

from .package import Settings, backends, seams

ENV_EXAMPLE = Path(__file__).resolve().parent.parent / ".env.example"


@pytest.mark.parametrize(
    ("name", "shape"),
    [
        ("auth", seams.AuthBackend),
        ("rate_limit_storage", seams.RateLimitStorage),
        ("log_sink", seams.LogSink),
        ("database", seams.DatabaseBackend),
        ("tls", seams.TlsMode),
    ],
)
def test_each_option_has_the_shape_of_its_seam(name: str, shape: type) -> None:
    assert isinstance(getattr(backends, name), shape)


def test_extensions_have_the_shape_of_their_seam() -> None:
    for extension in backends.EXTENSIONS:
        assert isinstance(extension, seams.Extension)


def test_env_example_lists_every_setting_and_nothing_else() -> None:
    # Active lines (`APP_X=...`) and commented defaults (`# APP_X=...`) both count.
    documented = set(re.findall(r"^(?:# )?(APP_[A-Z0-9_]+)=", ENV_EXAMPLE.read_text(), re.M))
    settings = {f"APP_{name.upper()}" for name in Settings.model_fields}
    assert documented == settings
