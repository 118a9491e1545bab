"""Every error the resolver raises, in one hierarchy written for the person who has to act.

Both shells (the Lambda custom resource and the CLI) turn a ``ResolverError`` into one readable
line — a CloudFormation ``Reason`` or a stderr message — and anything else reaching a shell is a
bug, reported as such, without a traceback in the user's face. Structured fields (property,
value, image) compose a message that names what is wrong, where, and the fix.
"""

from __future__ import annotations

from collections.abc import Sequence

from .values import frozen

# A value echoed in a message is cut to this many characters: enough to recognise it, never a
# wall of text (a 5,000-character Repository once made a 4,000-character Reason).
MAX_SHOWN_CHARS = 80
# Image problems listed one by one in a message (at most, and in at most so many characters, so
# that the fix after them stays within a 1,000-character Reason); the rest are counted.
MAX_LISTED_PROBLEMS = 5
MAX_LISTED_CHARS = 600


class ResolverError(Exception):
    """Base class: ``str(error)`` is the complete, user-facing message."""


class InvalidPropertyError(ResolverError):
    """A property value the resolver cannot accept. Raised before any AWS call."""

    def __init__(self, prop: str, value: object, problem: str, fix: str) -> None:
        self.prop = prop
        self.value = value
        self.problem = problem
        self.fix = fix
        # The path holds user-chosen keys (image names, misspelt properties): made printable and
        # clipped as well, so the message stays one readable line.
        where = clip(printable(prop), 2 * MAX_SHOWN_CHARS)
        super().__init__(f"{where}: {shown(value)} {problem}. {fix}".rstrip())


def clip(text: str, limit: int = MAX_SHOWN_CHARS) -> str:
    """``text`` cut to ``limit`` characters, ending in ``...`` when it was cut."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def printable(text: str) -> str:
    """``text`` with every unprintable character (newlines, controls, bidi overrides) escaped."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


def shown(value: object) -> str:
    """A value as an error message echoes it: its ``repr``, clipped; ``None`` is "(absent)"."""
    return "(absent)" if value is None else clip(repr(value))


@frozen
class ImageProblem:
    """One image that could not be resolved, described for a person."""

    name: str
    reference: str  # e.g. "team/app:api-3f9a1c2e in 123456789012/ap-southeast-2"
    detail: str  # e.g. "tag not found", "AccessDeniedException: ..."


def _list(problems: Sequence[ImageProblem]) -> str:
    """The first few problems in full, the rest counted: a reason stays readable (and within
    CloudFormation's limits) however many images fail. A reference names a tag of up to 300
    characters, so it is clipped like any echoed value."""
    listed: list[str] = []
    for p in problems[:MAX_LISTED_PROBLEMS]:
        item = f"{p.name} ({clip(p.reference)}): {p.detail}"
        if listed and sum(map(len, listed)) + len(item) > MAX_LISTED_CHARS:
            break
        listed.append(item)
    rest = len(problems) - len(listed)
    return "; ".join(listed) + (f"; and {rest} more" if rest else "")


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
    """Images whose scan findings reach ``FailOnSeverity``, or never scanned under RequireScan.

    The fix differs: findings need a rebuild, a missing scan needs a scan — a never-scanned image
    is not told to rebuild.
    """

    def __init__(
        self, vulnerable: Sequence[ImageProblem], *, unscanned: Sequence[ImageProblem] = ()
    ) -> None:
        self.problems = (*vulnerable, *unscanned)
        fixes = []
        if vulnerable:
            fixes.append("Rebuild the vulnerable images on patched bases or raise FailOnSeverity")
        if unscanned:
            fixes.append(
                "scan the unscanned images (enable scan on push, or aws ecr start-image-scan) "
                "or set RequireScan: false"
            )
        super().__init__(
            f"{len(self.problems)} image(s) blocked by the vulnerability gate: {_list(self.problems)}. "
            f"{'; '.join(fixes)}; or set OnVulnerable: Report."
        )


class RollbackTargetMissingError(ResolverError):
    """An Update would replace images that are gone from ECR, under ``OnRollbackTargetMissing:
    Fail``: if the stack update failed, there would be nothing to roll back to."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = tuple(names)
        super().__init__(
            f"The images this update replaces are no longer in ECR: {', '.join(self.names)}. If "
            "the stack update failed, CloudFormation could not roll back to them. Push them again "
            "(or restore them), or use OnRollbackTargetMissing: Warn to go ahead without a way back."
        )


class RetentionRiskError(ResolverError):
    """Images ``OnRetentionRisk: Fail`` refuses: the lifecycle policy selects them now
    (``Expiring``), or they are archived."""

    def __init__(self, problems: Sequence[ImageProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__(
            f"{len(self.problems)} image(s) would not outlive the repository's lifecycle policy: "
            f"{_list(self.problems)}. Pin an image the policy keeps (push a new one, or keep "
            "this one with a tag its rules spare), change the policy, or set "
            "OnRetentionRisk: Report."
        )


class UnreadableManifestError(ResolverError):
    """ECR returned an image document the resolver cannot read.

    Its own type, so that only a malformed document — never a programming error — is reported
    as "unreadable manifest". It is a lookup failure, never "missing".
    """


class TemplateError(ResolverError):
    """A template, parameter or configuration problem that stops offline evaluation (planner).

    ``where`` is a property path (``Images.Properties.Images.Api.Tag``), a template section
    (``Parameters.Env``), a file position (``template.yaml line 12``) or a command-line option.
    """

    def __init__(self, where: str, problem: str, *, fix: str = "", intrinsic: str = "") -> None:
        self.where = where
        self.problem = problem
        self.fix = fix
        self.intrinsic = intrinsic
        # Each part may hold template keys and values: made printable and clipped (values are
        # clipped where they are echoed; this bounds the rest), so the message stays one line.
        parts = [clip(printable(where), 4 * MAX_SHOWN_CHARS)]
        if intrinsic:
            parts.append(clip(printable(intrinsic), MAX_SHOWN_CHARS))
        text = clip(printable(problem), 6 * MAX_SHOWN_CHARS)
        super().__init__(
            f"{': '.join(parts)}: {text}. {clip(printable(fix), 4 * MAX_SHOWN_CHARS)}".strip()
        )


class ResourceNotCreatedError(TemplateError):
    """The resource's own ``Condition`` is false: CloudFormation would not create it.

    A distinct type so the CLI can report "nothing to plan" instead of a failure.
    """


class AwsCallError(ResolverError):
    """An AWS call the CLI itself makes (STS, CloudFormation exports) failed."""


class StackNotAllowedError(ResolverError):
    """The requesting stack's name starts with none of the resolver's ``AllowedStackPrefixes``.

    The message names neither the prefixes nor a name that would pass: the prefixes are a naming
    convention, and telling any stack how to be admitted would defeat it (README, "Trust
    boundary"). Access is the resolver's owner's decision.
    """

    def __init__(self, stack: str) -> None:
        self.stack = stack
        super().__init__(self.explained())

    def explained(self) -> str:
        return (
            f"Stack {shown(self.stack)} may not use this image resolver: the resolver's "
            "AllowedStackPrefixes do not admit it. Ask the owner of the resolver's stack."
        )


class StackPrefixesMisconfiguredError(StackNotAllowedError):
    """``AllowedStackPrefixes`` holds a blank entry beside real ones (``"tak-,"``).

    template.yaml refuses it (its Rules); a resolver deployed before that, or an environment
    edited by hand, can still carry one. The blank entry made the role's ``DescribeStacks`` cover
    every stack, so the resolver refuses stacks the other prefixes admit until its owner fixes it.
    """

    def explained(self) -> str:
        return (
            "This image resolver is misconfigured: its AllowedStackPrefixes has a blank entry "
            "(an empty item, e.g. a trailing comma), which gives its role read access to every "
            "stack's status. Ask the owner of the resolver's stack to remove the blank entry and "
            "update that stack."
        )


class GateError(ResolverError):
    """An image refused by a gate that vouches for what CI built — a signature, the plan's digest,
    a finished replication. The planner answers 5, as for the vulnerability and retention gates.
    Each gate's error says what its images lack (``refused``) and the ways out (``fix``)."""

    refused = ""
    fix = ""

    def __init__(self, problems: Sequence[ImageProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__(
            f"{len(self.problems)} image(s) {self.refused}: {_list(self.problems)}. {self.fix}"
        )


class UnsignedImagesError(GateError):
    """Images without a signature ``RequireSignature`` accepts, under ``OnUnsigned: Fail``."""

    refused = "without a signature RequireSignature accepts"
    fix = (
        "Sign them (ECR managed signing signs on push once the profile is in the registry's "
        "signing configuration; or notation sign / cosign sign), or set OnUnsigned: Report."
    )


class LockMismatchError(GateError):
    """Images ECR now answers with another digest than ``ExpectedDigests`` (the plan's), under
    ``OnLockMismatch: Fail``: a tag moved between the plan and the deploy."""

    refused = "are not what the plan saw"
    fix = (
        "Plan again and deploy with its lock (resolver plan --emit lock), and find out who pushed "
        "the tag again; or set OnLockMismatch: Report."
    )


class NotReplicatedError(GateError):
    """Images not replicated to every region ``WaitForReplication`` names when the wait ended."""

    refused = "not replicated where WaitForReplication asks"
    fix = (
        "Fix the registry's replication configuration, or give ECR longer (ScanWaitSeconds) and "
        "deploy again."
    )


class ProtectionRequiredError(ResolverError):
    """``Protect: Required``, and some pinned image could not be tagged. Raised only by a Create
    or an Update (a rollback or a Delete never fails for protection)."""

    def __init__(self, problems: Sequence[ImageProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__(
            f"Protect is Required, and {len(self.problems)} image(s) could not be protected: "
            f"{_list(self.problems)}. Let the resolver tag them (its stack's EnableProtection=true "
            "grants ecr:PutImage and ecr:BatchDeleteImage on RepositoryArns; a repository of "
            'another account must also allow them in its repository policy: README, "Protecting '
            'pinned images"), or set Protect: BestEffort. No tag was left behind.'
        )
