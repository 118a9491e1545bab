"""Only ECR's own not-found codes mean "absent"; every other failure is an error."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from resolver.engine.ecr.failures import EcrFailure, FailureKind, classify, failure_from


def test_only_not_found_codes_mean_absent() -> None:
    assert classify("ImageNotFound") is FailureKind.IMAGE_NOT_FOUND
    assert classify("ImageNotFoundException") is FailureKind.IMAGE_NOT_FOUND
    assert classify("RepositoryNotFoundException") is FailureKind.REPOSITORY_NOT_FOUND
    for code in (
        "AccessDeniedException",
        "ThrottlingException",
        "KmsError",
        "UpstreamUnavailable",
        "InvalidImageTag",
    ):
        assert classify(code) is FailureKind.ERROR


def test_a_client_error_keeps_ecrs_code_and_message() -> None:
    error = ClientError(
        {"Error": {"Code": "RepositoryNotFoundException", "Message": "no repo"}}, "BatchGetImage"
    )
    failure = failure_from(error)
    assert failure == EcrFailure("RepositoryNotFoundException", "no repo")
    assert failure.kind is FailureKind.REPOSITORY_NOT_FOUND
    assert str(failure) == "RepositoryNotFoundException: no repo"


@pytest.mark.parametrize(
    "error", [EndpointConnectionError(endpoint_url="https://ecr"), ClientError({}, "X")]
)
def test_a_network_or_unnamed_error_is_never_absent(error: Exception) -> None:
    assert failure_from(error).kind is FailureKind.ERROR  # type: ignore[arg-type]
