"""Protection: the images a stack pins, kept through the repository's lifecycle policy.

The engine answers what is in ECR and never writes. This package writes — one tag per pinned
image (``naming``), added from the exact manifest ECR holds (``protect``), taken back without ever
deleting an image (``release``), through one module that speaks ECR's write calls
(``ecr_writes``) — and lists what stacks pin for clean-up tools (``inventory``). The
CloudFormation layer decides when (``cloudformation.protection``); the planner reads the
inventory (``resolver in-use``). It imports the engine's ECR readers and the model, never a
shell; the engine never imports it.
"""

from .naming import Owner
from .protect import Protection, all_tagged, in_ecr, protect
from .release import Released, release

__all__ = ["Owner", "Protection", "Released", "all_tagged", "in_ecr", "protect", "release"]
