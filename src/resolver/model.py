"""The nouns: what a resolution is asked for and what it answers.

Request types (``ResolveRequest``, ``ImageSpec`` and the policy enums) are produced by
``properties``; result types (``Resolution``, ``ImageResult``) by ``engine``; formatters
(``cloudformation.attributes``, ``planner.report``) read them. Living apart from the
procedures, they let a formatter depend on the model without importing the engine (or boto3).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import field
from datetime import datetime
from enum import Enum

from .platforms import LAMBDA_DEFAULT_PLATFORM, Platform
from .references import ImageRef
from .values import frozen

# The custom resource's type: the template reader looks for it, the CDK construct declares it.
RESOURCE_TYPE = "Custom::ImageResolver"

# --- request ---------------------------------------------------------------------------------


class OnMissing(Enum):
    FAIL = "Fail"
    FALLBACK = "Fallback"
    REPORT = "Report"


class OnVulnerable(Enum):
    FAIL = "Fail"
    REPORT = "Report"


class OnRetentionRisk(Enum):
    """What an image the lifecycle policy selects now (``Expiring``), or an archived one, does."""

    REPORT = "Report"
    FAIL = "Fail"


class Severity(Enum):
    """Thresholds for ``FailOnSeverity``, most severe first."""

    CRITICAL = "CRITICAL"
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    LOW = "LOW"


class OnRollbackTargetMissing(Enum):
    """What an Update does when the images it replaces are gone from ECR (no way back)."""

    WARN = "Warn"
    FAIL = "Fail"


# The one placeholder a Tag may use; ``Version`` fills it in.
VERSION_FIELD = "{version}"


class TagMatch(Enum):
    EXACT = "exact"  # Tag is a tag
    PATTERN = "pattern"  # Tag is a glob: the newest matching image
    LATEST_VERSION = "latest-version"  # Tag uses {version} and Version is "latest"


class Attribute(Enum):
    """Per-image attributes a template can select with ``Attributes``."""

    URI = "Uri"
    DIGEST = "Digest"
    TAG_URI = "TagUri"
    SOURCE = "Source"
    STATUS = "Status"
    BUILD_REQUIRED = "BuildRequired"
    PLATFORMS = "Platforms"
    FINDINGS = "Findings"
    PUSHED_AT = "PushedAt"
    SIZE_IN_BYTES = "SizeInBytes"
    TAGS = "Tags"
    RETENTION = "Retention"
    SIGNATURE = "Signature"  # the signature gate's verdict (read only when selected or gated)
    TAG_MUTABILITY = "TagMutability"  # whether the tag can move (DescribeRepositories)
    PROTECTED = "Protected"  # Protect: whether the image carries its protection tag


# Attributes that need DescribeImages: only asked for when selected.
METADATA_ATTRIBUTES = frozenset({Attribute.PUSHED_AT, Attribute.SIZE_IN_BYTES, Attribute.TAGS})
DEFAULT_ATTRIBUTES = (Attribute.URI, Attribute.DIGEST, Attribute.STATUS, Attribute.BUILD_REQUIRED)


@frozen
class AssumedRole:
    """An IAM role an image's registry is read through (``RoleArn``, ``ExternalId``), parsed once
    by ``properties``: its account and partition decide which registries it may serve."""

    arn: str
    account_id: str
    partition: str
    external_id: str | None = field(default=None, repr=False)  # kept out of logs and reprs


@frozen
class ImageSpec:
    """One requested image. With ``match`` other than EXACT, ``ref.tag`` holds the glob or the
    ``{version}`` template that discovery turns into a concrete tag."""

    name: str
    ref: ImageRef
    fallback: str | None = None
    match: TagMatch = TagMatch.EXACT
    platform: Platform | None = None
    for_lambda: bool = False
    fail_on: Severity | None = None
    on_retention_risk: OnRetentionRisk = OnRetentionRisk.REPORT
    role: AssumedRole | None = None  # None: the caller's own credentials
    # What CI vouched for, and how patterns rank tags; the types are defined at the module's end.
    gates: ImageGates = field(default_factory=lambda: ImageGates())  # noqa: PLW0108
    order: TagOrder = field(default_factory=lambda: TagOrder.PUSHED)

    @property
    def wanted_platform(self) -> Platform | None:
        """The platform to pin an index to: explicit, or linux/amd64 for Lambda."""
        return self.platform or (LAMBDA_DEFAULT_PLATFORM if self.for_lambda else None)


@frozen
class ResolveRequest:
    images: tuple[ImageSpec, ...]
    on_missing: OnMissing = OnMissing.FAIL
    use_prebuilt: bool = True
    attributes: tuple[Attribute, ...] = DEFAULT_ATTRIBUTES
    version: str | None = None
    wait_seconds: int = 0
    on_vulnerable: OnVulnerable = OnVulnerable.FAIL
    require_scan: bool = False
    scan_wait_seconds: int = 60
    on_rollback_target_missing: OnRollbackTargetMissing = OnRollbackTargetMissing.WARN
    # The function's region (the planner's --region): where a Lambda image must be.
    function_region: str | None = None

    @property
    def scans_needed(self) -> bool:
        return Attribute.FINDINGS in self.attributes or any(i.fail_on for i in self.images)

    @property
    def roles(self) -> Mapping[str, AssumedRole]:
        """The role each account's registries are read through, by account id (``properties``
        allows one per account); an account read with the caller's own credentials is absent."""
        return {
            image.ref.repository.registry.account_id: image.role
            for image in self.images
            if image.role is not None
        }

    @property
    def retention_needed(self) -> bool:
        """Whether lifecycle policies are read: ``Retention`` selected, or a retention gate set."""
        return Attribute.RETENTION in self.attributes or any(
            image.on_retention_risk is OnRetentionRisk.FAIL for image in self.images
        )


# --- what ECR says about an image --------------------------------------------------------------


@frozen
class ImageDetails:
    """DescribeImages: asked for only when ``PushedAt``/``SizeInBytes``/``Tags`` is selected.

    ``error`` is ECR's error code when it could not describe the image: the three attributes are
    then empty, as for an image not in ECR, never made up.
    """

    pushed_at: datetime | None = None
    size_in_bytes: int | None = None
    tags: tuple[str, ...] = ()
    error: str = ""


class ScanState(Enum):
    COMPLETE = "Complete"
    IN_PROGRESS = "InProgress"
    NOT_SCANNED = "NotScanned"
    UNKNOWN = "Unknown"  # ECR would not say (access denied, throttled, timed out...)


# ECR's finding severities, most severe first; the four above INFORMATIONAL are the gate's.
FINDING_SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNDEFINED")


@frozen
class ScanReport:
    state: ScanState
    counts: Mapping[str, int] = field(default_factory=dict)  # ECR severity name -> findings
    detail: str = ""  # ECR's status and description (or its error), for a reason
    error: str = ""  # UNKNOWN: ECR's error code, short enough for the attribute

    def at_or_above(self, threshold: Severity) -> int:
        ranked = FINDING_SEVERITIES[: FINDING_SEVERITIES.index(threshold.value) + 1]
        return sum(self.counts.get(severity, 0) for severity in ranked)

    def summary(self) -> str:
        """The ``Findings`` value: counts, ``InProgress``, ``NotScanned`` or ``Unknown: <code>``."""
        if self.state is ScanState.UNKNOWN:
            return f"{self.state.value}: {self.error}"
        if self.state is not ScanState.COMPLETE:
            return str(self.state.value)
        shown = FINDING_SEVERITIES[: len(Severity)]
        return ",".join(f"{severity}={self.counts.get(severity, 0)}" for severity in shown)

    @classmethod
    def merged(cls, reports: Sequence[ScanReport]) -> ScanReport:
        """One verdict for an index from its images' reports: complete only when all are, with
        the findings added up."""
        if len(reports) == 1:
            return reports[0]
        for state in (ScanState.UNKNOWN, ScanState.IN_PROGRESS, ScanState.NOT_SCANNED):
            pending = [report for report in reports if report.state is state]
            if pending:
                detail = f"{len(pending)} of {len(reports)} images: {pending[0].detail}"
                return cls(state, detail=detail, error=pending[0].error)
        counts: dict[str, int] = {}
        for report in reports:
            for severity, count in report.counts.items():
                counts[severity] = counts.get(severity, 0) + count
        return cls(ScanState.COMPLETE, counts, detail=f"{len(reports)} images")


# --- result ----------------------------------------------------------------------------------


class ImageStatus(Enum):
    FOUND = "Found"
    TAG_NOT_FOUND = "TagNotFound"
    DIGEST_NOT_FOUND = "DigestNotFound"
    REPOSITORY_NOT_FOUND = "RepositoryNotFound"
    PLATFORM_NOT_FOUND = "PlatformNotFound"
    SKIPPED = "Skipped"  # UsePreBuiltImages is false: ECR was not asked
    VULNERABLE = "Vulnerable"  # found, but its findings reach FailOnSeverity
    NOT_SCANNED = "NotScanned"  # found, never scanned, and RequireScan is true
    ARCHIVED = "Archived"  # in ECR's archive storage class: listed, but no pull until restored
    UNSIGNED = "Unsigned"  # found, but RequireSignature finds no signature it accepts
    LOCK_MISMATCH = "LockMismatch"  # found, but not the digest ExpectedDigests (the plan) names
    NOT_REPLICATED = "NotReplicated"  # found, but not (yet) in every WaitForReplication region
    WRONG_REGION = "WrongRegion"  # a Lambda image in another region than the function's


MISSING = frozenset(
    {
        ImageStatus.TAG_NOT_FOUND,
        ImageStatus.DIGEST_NOT_FOUND,
        ImageStatus.REPOSITORY_NOT_FOUND,
        ImageStatus.PLATFORM_NOT_FOUND,
        ImageStatus.SKIPPED,
        # Not deployable, like a missing image: OnMissing decides, and pushing it again (or a
        # restore) is the fix.
        ImageStatus.ARCHIVED,
        # Lambda pulls only from its own region: the image must be pushed (replicated) there.
        ImageStatus.WRONG_REGION,
    }
)


class RetentionKind(Enum):
    SAFE = "Safe"  # no lifecycle rule can select the image as things stand
    LIMITED = "Limited"  # a rule will select it after an event (pushes, its tag moving) or a date
    EXPIRING = "Expiring"  # the policy selects it now: it goes at the next lifecycle run
    ARCHIVED = "Archived"  # in the archive storage class: no pull until restored
    UNKNOWN = "Unknown"  # the policy or the listing could not be read


@frozen
class Retention:
    """How long a pinned image survives its repository's lifecycle policy, as things stand."""

    kind: RetentionKind
    reason: str = ""  # for a person: the rule and the event or date, short (a response is 4 KB)

    @property
    def value(self) -> str:
        """``Safe``, ``Archived``, or ``<Kind>: <reason>``."""
        return f"{self.kind.value}: {self.reason}" if self.reason else self.kind.value

    @property
    def at_risk(self) -> bool:
        """What ``OnRetentionRisk: Fail`` refuses to deploy."""
        return self.kind in (RetentionKind.EXPIRING, RetentionKind.ARCHIVED)


class Source(Enum):
    PREBUILT = "prebuilt"
    FALLBACK = "fallback"
    NONE = "none"


@frozen
class ImageResult:
    spec: ImageSpec
    status: ImageStatus
    uri: str  # what to deploy; "" when there is nothing to deploy
    source: Source
    digest: str | None = None
    ref: ImageRef | None = None  # the concrete image looked up (a pattern's chosen tag)
    detail: str = ""  # why it is missing or blocked, for a person
    platforms: tuple[str, ...] = ()  # an index's runnable platforms
    children: tuple[str, ...] = ()  # an unpinned index's runnable images (scanned one by one)
    tagged_digest: str | None = None  # what the tag points at (an index, when pinned to a child)
    details: ImageDetails | None = None  # DescribeImages, when asked for
    scan: ScanReport | None = None  # scan findings, when asked for
    retention: Retention | None = None  # lifecycle-policy verdict, when asked for
    signature: Verdict | None = None  # the signature gate's reading, when asked for
    lock: Verdict | None = None  # the digest compared with ExpectedDigests, when given
    replication: Verdict | None = None  # WaitForReplication's reading, when asked for
    tag_mutability: Verdict | None = None  # can the tag move? When asked for

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def build_required(self) -> bool:
        return self.status in MISSING

    @property
    def found(self) -> bool:
        """In ECR, with a digest: what metadata and scans are read for."""
        return self.status is ImageStatus.FOUND and bool(self.digest)

    @property
    def image_ref(self) -> ImageRef:
        return self.ref or self.spec.ref

    @property
    def tag_uri(self) -> str:
        """The concrete tag's URI; "" for a digest, or a pattern that matched nothing."""
        if self.ref is not None:
            return self.ref.tag_uri
        return self.spec.ref.tag_uri if self.spec.match is TagMatch.EXACT else ""


@frozen
class Resolution:
    images: tuple[ImageResult, ...]
    on_missing: OnMissing
    on_vulnerable: OnVulnerable = OnVulnerable.FAIL
    ecr_calls: int = 0
    version: str | None = None

    @property
    def build_required(self) -> bool:
        return any(image.build_required for image in self.images)

    @property
    def missing(self) -> tuple[ImageResult, ...]:
        return tuple(image for image in self.images if image.build_required)

    @property
    def revision(self) -> str:
        """Short hash of every image's deployable URI: changes exactly when one of them does."""
        lines = sorted(f"{image.name}={image.uri}" for image in self.images)
        return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:12]


# --- what was deployed before ----------------------------------------------------------------


@frozen
class RecordedImage:
    """One image as an earlier resolution answered it: enough to answer the same again.

    ``digest`` is what the ``Uri`` pins; ``tagged_digest`` what the tag named (an index, when the
    image was pinned to one platform's image); ``tag`` the tag a pattern chose.
    """

    status: ImageStatus
    digest: str | None = None
    tagged_digest: str | None = None
    tag: str | None = None


class RollbackState(Enum):
    READY = "Ready"
    MISSING = "Missing"
    UNKNOWN = "Unknown"


@frozen
class RollbackTarget:
    """Whether the images an Update replaces are still in ECR: the way back if it fails."""

    state: RollbackState
    missing: tuple[str, ...] = ()  # image names gone from ECR
    reason: str = ""  # why it is unknown

    def summary(self) -> str:
        """``Ready``, ``Missing: Api,Data`` or ``Unknown: <reason>`` (the attribute's value)."""
        if self.state is RollbackState.MISSING:
            return f"Missing: {','.join(self.missing)}"
        if self.state is RollbackState.UNKNOWN:
            return f"Unknown: {self.reason}"
        return "Ready"


READY = RollbackTarget(RollbackState.READY)


# --- progress ----------------------------------------------------------------------------------


class WaitingFor(Enum):
    PUSH = "push"  # WaitSeconds: images missing, CI may still be pushing them
    SCAN = "scan"  # ScanWaitSeconds: scans still in progress
    SIGNATURE = "signature"  # ScanWaitSeconds too: ECR managed signing still in progress
    REPLICATION = "replication"  # ScanWaitSeconds too: WaitForReplication's regions not done


@frozen
class Waiting:
    """A wait about to sleep again: ``images`` still awaited, ``slept`` of ``budget`` seconds
    spent so far. What ``resolve``'s observer hears, e.g. to print "still waiting for Pmtiles
    (6 s of 120 s)"."""

    images: tuple[str, ...]
    slept: float
    budget: float
    reason: WaitingFor = WaitingFor.PUSH


Observer = Callable[[Waiting], None]


# --- what CI vouched for: signatures, the plan's digests, replication, tag order -----------------


class OnUnsigned(Enum):
    FAIL = "Fail"
    REPORT = "Report"


class OnLockMismatch(Enum):
    FAIL = "Fail"
    REPORT = "Report"


class TagOrder(Enum):
    """How a pattern or ``Version: latest`` ranks candidates: push time, or semantic version."""

    PUSHED = "Pushed"
    SEMVER = "Semver"


class ReferrerSignature(Enum):
    """Signatures stored beside an image as OCI referrers (``ListImageReferrers``)."""

    NOTATION = "Notation"  # the Notary Project (notation sign, AWS Signer's plugin)
    SIGSTORE = "Sigstore"  # cosign: a Sigstore bundle or cosign's OCI 1.1 signature artifact


@frozen
class SignatureRequirement:
    """``RequireSignature``: any one of these signatures admits the image."""

    profiles: tuple[str, ...] = ()  # AWS Signer profile ARNs: ECR managed signing, COMPLETE
    referrers: tuple[ReferrerSignature, ...] = ()  # a referrer of this kind exists


@frozen
class ReplicationWait:
    """``WaitForReplication``: these regions, or (empty) every destination ECR reports."""

    regions: tuple[str, ...] = ()


@frozen
class ImageGates:
    """What one image must show besides existing, and what a refusal does."""

    signature: SignatureRequirement | None = None
    on_unsigned: OnUnsigned = OnUnsigned.FAIL
    expected_digest: str | None = None  # from ExpectedDigests: the digest the plan saw
    on_lock_mismatch: OnLockMismatch = OnLockMismatch.FAIL
    replication: ReplicationWait | None = None


NO_GATES = ImageGates()


class VerdictState(Enum):
    PASSED = "Passed"  # signed, as planned, replicated, immutable
    BLOCKED = "Blocked"  # unsigned, moved since the plan, replication failed, an unguarded tag
    PENDING = "Pending"  # ECR is still at it (signing, replication) when the wait ends
    UNKNOWN = "Unknown"  # ECR would not say (access denied, throttled, timed out...)
    SKIPPED = "Skipped"  # not judged: the image is not deployed from ECR


@frozen
class Verdict:
    """One gate's reading of one image: the attribute's text, and the detail for a reason."""

    state: VerdictState
    value: str  # the attribute: "Signed: ci_release", "Unsigned", "Failed: <code>", ...
    detail: str = ""  # for a person: what was found, and where
    error: str = ""  # UNKNOWN: ECR's error code

    @property
    def passed(self) -> bool:
        return self.state is VerdictState.PASSED


SKIPPED_VERDICT = Verdict(VerdictState.SKIPPED, "Skipped")


# --- protection: tags that keep pinned images through lifecycle policies -----------------------

# Every protection tag starts with this, so one lifecycle rule (``tagPatternList: ["pinned-*"]``)
# recognises them all; the retention evaluator knows them by it too.
PROTECTION_TAG_PREFIX = "pinned-"
# A protection tag that was an image's last tag is replaced by this one when it is released:
# ECR deletes an image whose last tag is removed, and the resolver never deletes an image.
RELEASED_TAG_PREFIX = "unpinned-"


class Protect(Enum):
    """``Protect``: whether the resolver tags the images it pins, and whether that must succeed."""

    OFF = "Off"
    BEST_EFFORT = "BestEffort"  # a refused tag is reported, never fails the deployment
    REQUIRED = "Required"  # a refused tag fails a Create or Update (never a rollback or Delete)


class ProtectionState(Enum):
    YES = "Yes"  # the image carries its protection tag
    NO = "No"  # Protect is off
    DENIED = "Denied"  # the tag could not be written: the reason says why
    SKIPPED = "Skipped"  # not an image in ECR (a fallback, a missing image): nothing to tag


@frozen
class ImageProtection:
    state: ProtectionState
    reason: str = ""  # for DENIED: ECR's error code, or what stood in the way, short

    @property
    def value(self) -> str:
        """The ``Protected`` attribute: ``Yes``, ``No``, ``Skipped`` or ``Denied: <reason>``."""
        return f"{self.state.value}: {self.reason}" if self.reason else self.state.value


PROTECTED = ImageProtection(ProtectionState.YES)
SKIPPED = ImageProtection(ProtectionState.SKIPPED)
UNPROTECTED = ImageProtection(ProtectionState.NO)


@frozen
class ProtectionReport:
    """What protecting a resolution did, per image name, and the ECR calls it took."""

    images: Mapping[str, ImageProtection]
    ecr_calls: int = 0

    @property
    def tagged(self) -> tuple[str, ...]:
        return tuple(n for n, p in self.images.items() if p.state is ProtectionState.YES)

    @property
    def refused(self) -> tuple[str, ...]:
        """Images in ECR that do not carry their tag."""
        wanted = (ProtectionState.DENIED, ProtectionState.NO)
        return tuple(n for n, p in self.images.items() if p.state in wanted)

    @property
    def complete(self) -> bool:
        """Every image in ECR carries its tag."""
        return not self.refused

    def summary(self) -> str:
        """The ``Protection`` attribute: ``Yes``, ``Partial: <k> of <n>``, ``No`` or
        ``Skipped`` (no image in ECR)."""
        tagged, of = len(self.tagged), len(self.tagged) + len(self.refused)
        if of == 0:
            return ProtectionState.SKIPPED.value
        if tagged == of:
            return ProtectionState.YES.value
        return f"Partial: {tagged} of {of}" if tagged else ProtectionState.NO.value
