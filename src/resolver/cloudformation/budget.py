"""One response budget: the 4,096 bytes CloudFormation accepts, shared by ``Data`` and the id.

CloudFormation fails a custom resource whose response body is over 4,096 bytes ("Response object
is too long", aws/aws-cdk#2825). The body holds CloudFormation's own ids (StackId, RequestId,
LogicalResourceId), the PhysicalResourceId and ``Data``. The split is decided here, once:

1. ``Data`` comes first: every selected attribute of every image, and the summary attributes.
   If they do not fit beside the *shortest* id (the resource's key, revision and properties hash:
   at most 125 characters, 127 with ``Protect``), the resource fails with how to trim them.
   Nothing else can make a deployment fail for size.
2. The rollback record (``physical_id``) takes what ``Data`` leaves, up to the id's own 1,024
   characters: the full record if it fits, else an abbreviated one, else none — the
   ``RollbackRecord`` attribute says which, and a WARNING says so when it is not ``Full``.

The handler (Create, Update) and the planner (``resolver plan`` predicting the Create) call the
same ``forward_answer``, so a plan fails exactly when the Create would.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from ..errors import InvalidPropertyError
from ..model import READY, Attribute, ProtectionReport, Resolution, RollbackTarget
from ..values import frozen
from .attributes import build_data
from .events import CfnEvent
from .physical_id import PhysicalId, Pinned, RecordKind, candidates
from .response import MAX_BODY_BYTES, CfnResponse, Status


@frozen
class Answer:
    """A SUCCESS response that fits, and how much of the set its id records."""

    response: CfnResponse
    record: RecordKind


def forward_answer(
    event: CfnEvent,
    resolution: Resolution,
    attributes: Sequence[Attribute],
    *,
    rollback_target: RollbackTarget = READY,
    protection: ProtectionReport | None = None,
) -> Answer:
    """The answer to a Create or an Update that goes forward: ``Data`` in full, and the most
    complete record that still fits beside it. Raises ``InvalidPropertyError`` (``Attributes``)
    when ``Data`` does not fit even beside the shortest id. ``protection``: what ``Protect`` did
    (None: it is off), in ``Data`` and in the id."""
    draft = _Draft(event, resolution, tuple(attributes), rollback_target, protection)
    size = 0
    for physical_id in draft.ids():
        response = draft.response(physical_id)
        size = response.size()
        if size <= MAX_BODY_BYTES:
            return Answer(response, physical_id.kind)
    raise draft.too_large(size)


def pinned(protection: ProtectionReport | None) -> Pinned | None:
    """What the id says of the set's protection tags."""
    if protection is None:
        return None
    return Pinned.ALL if protection.complete else Pinned.SOME


def fits(response: CfnResponse) -> bool:
    return response.size() <= MAX_BODY_BYTES


@frozen
class _Draft:
    """A forward answer but for its id: what ``Data`` holds."""

    event: CfnEvent
    resolution: Resolution
    attributes: tuple[Attribute, ...]
    target: RollbackTarget
    protection: ProtectionReport | None

    def ids(self) -> Iterator[PhysicalId]:
        """The ids it may carry, most complete first, the shortest last."""
        return candidates(self.event, self.resolution, pinned=pinned(self.protection))

    def response(
        self, physical_id: PhysicalId, *, attributes: tuple[Attribute, ...] | None = None
    ) -> CfnResponse:
        data = build_data(
            self.resolution,
            self.attributes if attributes is None else attributes,
            rollback_target=self.target,
            rollback_record=physical_id.kind,
            protection=self.protection,
        )
        return CfnResponse(Status.SUCCESS, str(physical_id), self.event.reply_to, data=data)

    def too_large(self, size: int) -> InvalidPropertyError:
        *_, shortest = self.ids()
        uri_only = self.response(shortest, attributes=(Attribute.URI,)).size()
        hint = (
            f"Attributes: [Uri] would need {uri_only} bytes"
            if uri_only <= MAX_BODY_BYTES
            else "even Attributes: [Uri] does not fit; split the images over several resources"
        )
        return InvalidPropertyError(
            "Attributes",
            ", ".join(a.value for a in self.attributes),
            f"makes the response {size} bytes for {len(self.resolution.images)} images, over "
            f"CloudFormation's {MAX_BODY_BYTES}-byte limit",
            f"Select fewer attributes ({hint}).",
        )
