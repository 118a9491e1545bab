"""The engine: a ``ResolveRequest`` in, a ``Resolution`` out, asking ECR as little as it can.

``pipeline.resolve`` runs the stages; ``policy.enforce`` raises where a policy says a resolution
must fail. Nothing here knows CloudFormation, crhelper, Powertools or the planner (a test checks).
"""

from .fanout import NO_DEADLINE, Clock, Deadline
from .pipeline import resolve
from .policy import enforce

__all__ = ["NO_DEADLINE", "Clock", "Deadline", "enforce", "resolve"]
