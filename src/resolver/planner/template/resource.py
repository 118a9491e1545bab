"""Find the ``Custom::ImageResolver`` resource and evaluate its properties as CloudFormation
would deliver them to the custom resource."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from ...errors import ResourceNotCreatedError, TemplateError, clip
from ...model import RESOURCE_TYPE
from .intrinsics import Evaluator
from .loader import did_you_mean, echoed, scalar_text, section
from .parameters import Parameters
from .pseudo import PseudoParameters


def _resource_type(body: object) -> object:
    return body.get("Type") if isinstance(body, dict) else None


def _named_resource(resources: Mapping[str, Any], logical_id: str) -> dict[str, Any]:
    body = resources.get(logical_id)
    if body is None:
        ours = [name for name, found in resources.items() if _resource_type(found) == RESOURCE_TYPE]
        raise TemplateError(
            f"Resources.{logical_id}",
            f"no such resource{did_you_mean(logical_id, resources)}",
            fix=f"Resources of type {RESOURCE_TYPE}: {clip(', '.join(ours) or 'none')}.",
        )
    if not isinstance(body, dict) or body.get("Type") != RESOURCE_TYPE:
        raise TemplateError(
            f"Resources.{logical_id}",
            f"is of type {echoed(_resource_type(body))}, not {RESOURCE_TYPE}",
            fix="Name the image resolver resource with --resource.",
        )
    return body


def find_resolver_resource(
    template: Mapping[str, Any], *, logical_id: str | None = None
) -> tuple[str, dict[str, Any]]:
    """The ``Custom::ImageResolver`` resource: the named one, else the only one there is."""
    resources = section(template, "Resources")
    if logical_id is not None:
        return logical_id, _named_resource(resources, logical_id)
    ours = [name for name, body in resources.items() if _resource_type(body) == RESOURCE_TYPE]
    if not ours:
        raise TemplateError(
            "Resources",
            f"no resource of type {RESOURCE_TYPE}",
            fix="Point --template at the consumer template that declares it.",
        )
    if len(ours) > 1:
        raise TemplateError(
            "Resources",
            f"{len(ours)} resources of type {RESOURCE_TYPE} ({', '.join(ours)})",
            fix=f"Choose one with --resource, e.g. --resource {ours[0]}.",
        )
    return ours[0], resources[ours[0]]


def _check_created(ev: Evaluator, logical_id: str, resource: Mapping[str, Any]) -> None:
    name = resource.get("Condition")
    if name is None:
        return
    where = f"{logical_id}.Condition"
    if not ev.condition(scalar_text(name, where), where, "Condition"):
        raise ResourceNotCreatedError(
            where,
            f"condition {name} is false with these parameters, so CloudFormation would not create "
            f"{logical_id}",
            fix="Nothing to plan; pass the parameters of an environment that creates it.",
        )


def evaluate_properties(  # noqa: PLR0913 - all keyword-only but the first two: no mix-ups
    template: Mapping[str, Any],
    logical_id: str,
    *,
    parameters: Parameters,
    imports: Callable[[str], str | None],
    pseudo: PseudoParameters,
    skip: Collection[str] = (),
    ssm: Callable[[str], str] | None = None,
) -> dict[str, Any]:
    """The resource's properties as CloudFormation would deliver them to the custom resource.

    Scalars become strings, ``AWS::NoValue`` drops its key or item, and ``imports`` answers
    ``Fn::ImportValue`` (``None``: unknown export), ``ssm`` the SSM parameters that
    ``AWS::SSM::Parameter::Value<…>`` parameters name (``None``: they are an error). Top-level
    properties named in ``skip`` are left out unevaluated — ``ServiceToken`` is one the planner
    does not need.
    """
    resource = _named_resource(section(template, "Resources"), logical_id)
    ev = Evaluator(template, parameters=parameters, imports=imports, pseudo=pseudo, ssm=ssm)
    properties = resource.get("Properties", {})
    where = f"{logical_id}.Properties"
    try:
        _check_created(ev, logical_id, resource)
        if not isinstance(properties, dict):
            raise TemplateError(where, "must be a map", fix="Write the properties as Name: value.")
        result = ev.value({key: node for key, node in properties.items() if key not in skip}, where)
    except RecursionError as exc:  # the reader follows deeper nesting than the evaluator can
        raise TemplateError(
            logical_id,
            "nests functions or values too deeply to evaluate",
            fix="Flatten the deepest nesting, or pass the value through a parameter.",
        ) from exc
    if not isinstance(result, dict):  # only an intrinsic at the top could do this, and none is kept
        raise TemplateError(where, "must evaluate to a map", fix="Write the properties as a map.")
    return result


_IMAGE_FUNCTIONS = {
    "AWS::Serverless::Function": ("ImageUri",),
    "AWS::Lambda::Function": ("Code", "ImageUri"),
}


def rebuilt_by_sam(template: Mapping[str, Any], logical_id: str) -> list[str]:
    """The image functions that take an image from resource ``logical_id`` and that ``sam build``
    would build instead, replacing the pinned ``ImageUri``.

    SAM CLI (1.170: ``providers/provider.get_function_build_info``, then
    ``build/app_builder._update_built_resource``) builds an image function whose ``Metadata``
    has both ``Dockerfile`` and ``DockerContext`` unless it says ``SkipBuild: true``, and writes
    the built image's tag over ``ImageUri`` (``Code.ImageUri``); ``sam deploy`` pushes that.
    """
    rebuilt = []
    for name, body in section(template, "Resources").items():
        path = _IMAGE_FUNCTIONS.get(str(_resource_type(body)))
        if path is None or not isinstance(body, dict):
            continue
        metadata = body.get("Metadata")
        if not isinstance(metadata, dict) or metadata.get("SkipBuild"):
            continue
        if not (metadata.get("Dockerfile") and metadata.get("DockerContext")):
            continue
        uri: Any = body.get("Properties")
        for key in path:
            uri = uri.get(key) if isinstance(uri, dict) else None
        if _refers_to(uri, logical_id):
            rebuilt.append(str(name))
    return rebuilt


def _refers_to(node: Any, logical_id: str) -> bool:
    """Whether a template value reads an attribute of ``logical_id`` (Fn::GetAtt, or a Fn::Sub
    variable), however deep in other functions it sits."""
    if isinstance(node, dict):
        target = node.get("Fn::GetAtt")
        if isinstance(target, list) and target and target[0] == logical_id:
            return True
        if isinstance(target, str) and target.split(".", 1)[0] == logical_id:
            return True
        sub = node.get("Fn::Sub")
        text = sub[0] if isinstance(sub, list) and sub else sub
        if isinstance(text, str) and "${" + logical_id + "." in text:
            return True
        return any(_refers_to(value, logical_id) for value in node.values())
    if isinstance(node, list):
        return any(_refers_to(item, logical_id) for item in node)
    return False
