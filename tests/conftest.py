"""Hermetic defaults for every test: fake credentials, a fixed region, no profile, no endpoint."""

from __future__ import annotations

import pytest

from devkit.ecr_emulator import FAKE_CREDENTIALS

_CLEARED = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_ECR",
    "AWS_ENDPOINT_URL_CLOUDFORMATION",
    "AWS_ENDPOINT_URL_STS",
    "AWS_STS_REGIONAL_ENDPOINTS",
    "IMAGE_RESOLVER_ROLE_ARN",
    "AWS_SAM_LOCAL",
    "IMAGE_RESOLVER_LOCAL",
    "IMAGE_RESOLVER_ALLOWED_STACK_PREFIXES",
)


@pytest.fixture(autouse=True)
def hermetic_aws(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    for name in _CLEARED:
        monkeypatch.delenv(name, raising=False)
    for name, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    empty = tmp_path_factory.getbasetemp() / "no-aws-config"
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "ImageResolverTests")
