"""The PhysicalResourceId: derived from the stack and logical id, never random.

A different id on Update is a *replacement*, and CloudFormation then deletes the old id; a
random id after a failed Create (what crhelper does) would make the Delete that follows name a
resource nobody knows. One resource therefore always answers with the same id.
"""

from __future__ import annotations

import hashlib

from .events import CfnEvent

MAX_LENGTH = 1024  # CloudFormation's limit


def physical_id_for(event: CfnEvent) -> str:
    """The id CloudFormation knows (Update, Delete), else the stable one for this resource."""
    return event.physical_resource_id or stable_id(event.stack_id, event.logical_resource_id)


def stable_id(stack_id: str, logical_id: str) -> str:
    """``<stack name>-<logical id>-<hash of both>``: readable, and the same on every call."""
    logical_id = logical_id or "Resource"
    stack_name = stack_id.split("/")[1] if stack_id.count("/") >= 2 else "stack"
    digest = hashlib.sha256(f"{stack_id}|{logical_id}".encode()).hexdigest()[:10]
    return f"{stack_name}-{logical_id}-{digest}"[:MAX_LENGTH]
