"""The errors a user can see: each one names what is wrong, where, and how to fix it.

Both shells (the Lambda handler and the CLI) turn a ``ResolverError`` into one readable line — a
CloudFormation ``Reason`` or a stderr message. Anything else reaching a shell is a bug and is
reported as such, without a traceback in the user's face.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class ResolverError(Exception):
    """Base class: ``str(error)`` is the complete, user-facing message."""


class InvalidPropertyError(ResolverError):
    """A property value the resolver cannot accept. Raised before any AWS call."""

    def __init__(self, prop: str, value: object, problem: str, fix: str) -> None:
        self.prop = prop
        self.value = value
        self.problem = problem
        self.fix = fix
        shown = _show(value)
        super().__init__(f"{prop}: {shown} {problem}. {fix}".strip())


def _show(value: object) -> str:
    if value is None:
        return "(absent)"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "...'"


@dataclass(frozen=True)
class ImageProblem:
    """One image that could not be resolved, described for a person."""

    name: str
    reference: str  # e.g. "team/app:api-3f9a1c2e in 123456789012 (ap-southeast-2)"
    detail: str  # e.g. "tag not found", "AccessDeniedException: ..."


def _list(problems: Sequence[ImageProblem]) -> str:
    return "; ".join(f"{p.name} ({p.reference}): {p.detail}" for p in problems)


class MissingImagesError(ResolverError):
    """Images absent from ECR while ``OnMissing`` asks to fail."""

    def __init__(self, problems: Sequence[ImageProblem], fix: str) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        noun = "image is" if count == 1 else "images are"
        super().__init__(f"{count} {noun} missing from ECR: {_list(self.problems)}. {fix}")


class LookupFailedError(ResolverError):
    """ECR could not answer (access denied, throttled past retries, network...).

    Deliberately distinct from "missing": an image we could not look up may well exist, so it
    must never turn into "build needed".
    """

    def __init__(self, problems: Sequence[ImageProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__(
            f"ECR lookup failed for {len(self.problems)} image(s): {_list(self.problems)}. "
            "These images were not reported as missing: fix access or retry the deployment."
        )


class VulnerableImagesError(ResolverError):
    """Images whose scan findings reach ``FailOnSeverity`` (or are unscanned under RequireScan)."""

    def __init__(self, problems: Sequence[ImageProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__(
            f"{len(self.problems)} image(s) blocked by the vulnerability gate: {_list(self.problems)}. "
            "Rebuild them on patched bases, raise FailOnSeverity, or set OnVulnerable: Report."
        )
