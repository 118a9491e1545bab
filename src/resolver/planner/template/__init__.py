"""A consumer template's ``Custom::ImageResolver`` properties, evaluated offline as CloudFormation
would deliver them: ``resolver plan`` must see exactly the strings the Lambda will receive.

Pure: no AWS calls and no module state; the CLI supplies the pseudo parameters and the export
lookup. ``loader`` reads YAML/JSON, ``parameters`` and ``samconfig`` give parameter values,
``pseudo`` the ``AWS::*`` values, ``intrinsics`` evaluates functions, ``resource`` ties them up.
"""

from .loader import load_template, read_document
from .parameters import Parameters
from .pseudo import PseudoParameters, check_stack_name
from .resource import evaluate_properties, find_resolver_resource, rebuilt_by_sam
from .samconfig import SamConfig, parse_overrides, read_samconfig

__all__ = [
    "Parameters",
    "PseudoParameters",
    "SamConfig",
    "check_stack_name",
    "evaluate_properties",
    "find_resolver_resource",
    "load_template",
    "parse_overrides",
    "read_document",
    "read_samconfig",
    "rebuilt_by_sam",
]
