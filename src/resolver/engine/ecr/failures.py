"""What went wrong with an ECR read, and the one place that decides "absent" versus "failed".

Only ECR's own "image not found" / "repository not found" mean an image is absent. Throttling,
access denied, KMS and upstream errors, timeouts and network failures are ``ERROR``: an image
that could not be looked up may well exist, so it must never become "build needed"
(langfuse/langfuse#15060 shows what happens otherwise). Codes are compared, never messages.
"""

from __future__ import annotations

from enum import Enum

from botocore.exceptions import BotoCoreError, ClientError

from ...values import frozen


class FailureKind(Enum):
    IMAGE_NOT_FOUND = "image-not-found"
    REPOSITORY_NOT_FOUND = "repository-not-found"
    ERROR = "error"  # anything else: access denied, throttled, network... never "missing"


def classify(code: str) -> FailureKind:
    """An ECR error code (an exception's or a ``failures[].failureCode``) as a kind."""
    if code in ("ImageNotFound", "ImageNotFoundException"):
        return FailureKind.IMAGE_NOT_FOUND
    if code == "RepositoryNotFoundException":
        return FailureKind.REPOSITORY_NOT_FOUND
    return FailureKind.ERROR


# BatchGetImage answers that may stand for an image that exists but cannot be pulled (archived, or
# not imported into a pull-through cache yet): "not found" is how a pull of an archived image
# fails; ImageInaccessible is undocumented and gets the same second look, never "absent".
_MAYBE_THERE = frozenset({"ImageNotFound", "ImageInaccessible", "RepositoryNotFoundException"})


@frozen
class EcrFailure:
    code: str
    message: str

    @property
    def kind(self) -> FailureKind:
        return classify(self.code)

    @property
    def maybe_there(self) -> bool:
        """Worth a second look (``engine.absence``) before it is taken as an answer."""
        return self.code in _MAYBE_THERE

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class RoleUnavailableError(Exception):
    """The role an image's registry is read through could not be assumed (``clients``): every
    read of that registry fails with the same ``failure``, which names the role and the fix."""

    def __init__(self, failure: EcrFailure) -> None:
        super().__init__(str(failure))
        self.failure = failure


# What an ECR read catches: ECR's answer, botocore's own failures, and a role it could not assume.
READ_ERRORS = (ClientError, BotoCoreError, RoleUnavailableError)


def failure_from(exc: ClientError | BotoCoreError | RoleUnavailableError) -> EcrFailure:
    """ECR's own code and message for a ClientError; the exception type for a botocore failure
    (connection refused, DNS, read timeout after retries...); a role's refusal as it was told."""
    if isinstance(exc, RoleUnavailableError):
        return exc.failure
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return EcrFailure(str(error.get("Code", "ClientError")), str(error.get("Message", "")))
    return EcrFailure(type(exc).__name__, str(exc))


# What every ECR read reports for a call still running at the deadline.
TIMED_OUT = EcrFailure("Timeout", "ECR did not answer before the time limit")
# What a batched read reports for an id that ECR's answer does not mention.
NO_RESULT = EcrFailure("NoResult", "ECR's answer did not mention this image")
# The code of a repository listing past the most images the resolver lists (``describe_images``).
LISTING_TOO_LARGE = "ListingTooLarge"
