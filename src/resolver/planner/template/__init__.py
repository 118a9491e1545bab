"""A consumer template's ``Custom::ImageResolver`` properties, evaluated offline as CloudFormation
would deliver them: ``resolver plan`` must see exactly the strings the Lambda will receive.

Pure: no AWS calls and no module state; the CLI supplies the pseudo parameters and the export
lookup. ``loader`` reads YAML/JSON, ``parameters`` and ``samconfig`` give parameter values,
``pseudo`` the ``AWS::*`` values, ``intrinsics`` evaluates functions, ``resource`` ties them up.
"""

from .loader import load_template
from .parameters import merge_parameters
from .pseudo import PseudoParameters
from .resource import RESOURCE_TYPE, evaluate_properties, find_resolver_resource
from .samconfig import parse_overrides, read_samconfig_overrides

__all__ = [
    "RESOURCE_TYPE",
    "PseudoParameters",
    "evaluate_properties",
    "find_resolver_resource",
    "load_template",
    "merge_parameters",
    "parse_overrides",
    "read_samconfig_overrides",
]
