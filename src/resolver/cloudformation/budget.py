"""One response budget: the 4,096 bytes CloudFormation accepts, shared by ``Data`` and the id.

CloudFormation fails a custom resource whose response body is over 4,096 bytes ("Response object
is too long", aws/aws-cdk#2825). The body holds CloudFormation's own ids (StackId, RequestId,
LogicalResourceId), the PhysicalResourceId and ``Data``. The split is decided here, once:

1. ``Data`` comes first: every selected attribute of every image, and the summary attributes.
   If they do not fit beside the *shortest* id (the resource's key, revision and properties hash:
   at most 125 characters), the resource fails with how to trim them. Nothing else can make a
   deployment fail for size.
2. The rollback record (``physical_id``) takes what ``Data`` leaves, up to the id's own 1,024
   characters: the full record if it fits, else an abbreviated one, else none — the
   ``RollbackRecord`` attribute says which, and a WARNING says so when it is not ``Full``.

The handler (Create, Update) and the planner (``resolver plan`` predicting the Create) call the
same ``forward_answer``, so a plan fails exactly when the Create would.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..errors import InvalidPropertyError
from ..model import READY, Attribute, Resolution, RollbackTarget
from ..values import frozen
from .attributes import build_data
from .events import CfnEvent
from .physical_id import PhysicalId, RecordKind, candidates
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
) -> Answer:
    """The answer to a Create or an Update that goes forward: ``Data`` in full, and the most
    complete record that still fits beside it. Raises ``InvalidPropertyError`` (``Attributes``)
    when ``Data`` does not fit even beside the shortest id."""
    return fitted(
        event, resolution, attributes, ids=candidates(event, resolution), target=rollback_target
    )


def fitted(
    event: CfnEvent,
    resolution: Resolution,
    attributes: Sequence[Attribute],
    *,
    ids: Iterable[PhysicalId],
    target: RollbackTarget,
) -> Answer:
    """The first of ``ids`` (most complete first, the shortest last) whose response fits."""
    size = 0
    for physical_id in ids:
        response = _response(event, resolution, attributes, physical_id, target=target)
        size = response.size()
        if size <= MAX_BODY_BYTES:
            return Answer(response, physical_id.kind)
    raise _too_large(event, resolution, attributes, size=size, target=target)


def fits(response: CfnResponse) -> bool:
    return response.size() <= MAX_BODY_BYTES


def _response(
    event: CfnEvent,
    resolution: Resolution,
    attributes: Sequence[Attribute],
    physical_id: PhysicalId,
    *,
    target: RollbackTarget,
) -> CfnResponse:
    data = build_data(
        resolution, attributes, rollback_target=target, rollback_record=physical_id.kind
    )
    return CfnResponse(Status.SUCCESS, str(physical_id), event.reply_to, data=data)


def _too_large(
    event: CfnEvent,
    resolution: Resolution,
    attributes: Sequence[Attribute],
    *,
    size: int,
    target: RollbackTarget,
) -> InvalidPropertyError:
    *_, shortest = candidates(event, resolution)
    uri_only = _response(event, resolution, (Attribute.URI,), shortest, target=target).size()
    hint = (
        f"Attributes: [Uri] would need {uri_only} bytes"
        if uri_only <= MAX_BODY_BYTES
        else "even Attributes: [Uri] does not fit; split the images over several resources"
    )
    return InvalidPropertyError(
        "Attributes",
        ", ".join(a.value for a in attributes),
        f"makes the response {size} bytes for {len(resolution.images)} images, over "
        f"CloudFormation's {MAX_BODY_BYTES}-byte limit",
        f"Select fewer attributes ({hint}).",
    )
