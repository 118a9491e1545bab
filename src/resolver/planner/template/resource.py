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
) -> dict[str, Any]:
    """The resource's properties as CloudFormation would deliver them to the custom resource.

    Scalars become strings, ``AWS::NoValue`` drops its key or item, and ``imports`` answers
    ``Fn::ImportValue`` (``None``: unknown export). Top-level properties named in ``skip`` are
    left out unevaluated — ``ServiceToken`` is one the planner does not need.
    """
    resource = _named_resource(section(template, "Resources"), logical_id)
    ev = Evaluator(template, parameters=parameters, imports=imports, pseudo=pseudo)
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
