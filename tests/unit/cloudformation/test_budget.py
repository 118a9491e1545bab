"""One response budget: Data first, the rollback record in what is left, and capacity found by
construction (N fits, N + 1 does not) — the README's table is this table."""

from __future__ import annotations

import random
import re
from dataclasses import replace
from pathlib import Path

import pytest

from devkit.capacity import (
    CHOICES,
    LONGEST_STACK_NAME,
    capacity,
    event,
    found_images,
    record_for,
    table,
)
from resolver.cloudformation.attributes import build_data
from resolver.cloudformation.budget import forward_answer
from resolver.cloudformation.events import PHYSICAL_ID_LIMIT
from resolver.cloudformation.physical_id import RecordKind, candidates, parse
from resolver.cloudformation.response import MAX_BODY_BYTES, CfnResponse, Status, encode
from resolver.errors import InvalidPropertyError
from resolver.model import DEFAULT_ATTRIBUTES, Attribute

README = Path(__file__).resolve().parents[3] / "README.md"


@pytest.mark.parametrize(
    ("attributes", "most"),
    [(DEFAULT_ATTRIBUTES, 11), ((Attribute.URI, Attribute.STATUS), 19), ((Attribute.URI,), 22)],
    ids=["default", "Uri+Status", "Uri"],
)
def test_the_first_users_sizes_deploy_again_and_one_more_fails_clearly(
    attributes: tuple[Attribute, ...], most: int
) -> None:
    """The sizes 0.1 deployed (a 27-character repository) fit again; one more is refused with
    the size and the fix, never with a response CloudFormation would reject."""
    for count in range(1, most + 1):
        answer = forward_answer(event(), found_images(count), attributes)
        assert len(encode(answer.response)) <= MAX_BODY_BYTES
    with pytest.raises(InvalidPropertyError) as refused:
        forward_answer(event(), found_images(most + 1), attributes)
    assert f"for {most + 1} images, over CloudFormation's 4096-byte limit" in str(refused.value)
    assert "Select fewer attributes" in str(refused.value)


@pytest.mark.parametrize("attributes", CHOICES, ids=["default", "Uri+Status", "Uri"])
@pytest.mark.parametrize("stack_name", ["cloudtak-dev", LONGEST_STACK_NAME], ids=["usual", "128"])
def test_the_record_shrinks_then_drops_as_images_are_added(
    attributes: tuple[Attribute, ...], stack_name: str
) -> None:
    """Capacity is monotonic, and so is the record: Full, then Abbreviated, then Dropped."""
    order = [RecordKind.FULL, RecordKind.ABBREVIATED, RecordKind.DROPPED]
    seen = [record_for(count, attributes, stack_name=stack_name) for count in range(1, 40)]
    fitting = [record for record in seen if record is not None]
    assert seen[: len(fitting)] == fitting  # once one does not fit, no larger one does
    assert [order.index(r) for r in fitting] == sorted(order.index(r) for r in fitting)
    edge = capacity(attributes, stack_name=stack_name)
    assert edge.full < edge.abbreviated <= edge.most == len(fitting)
    assert record_for(edge.most + 1, attributes, stack_name=stack_name) is None


def test_the_readme_states_the_capacity_this_code_has() -> None:
    text = README.read_text(encoding="utf-8")
    block = re.search(r"<!-- capacity:begin[^>]*-->\n(.*?)\n<!-- capacity:end -->", text, re.S)
    assert block is not None, "README: the capacity table's markers are missing"
    assert block[1].strip() == table(), "README: regenerate with python -m devkit.capacity"


def test_a_deploy_that_fits_without_the_record_never_fails_because_of_it() -> None:
    """For any set: answered exactly when its Data fits beside the shortest id; the answer, id
    included, always within 4,096 bytes and the id within 1,024."""
    rng = random.Random(20261204)
    every = tuple(Attribute)
    for _ in range(300):
        attributes = tuple(rng.sample(every, rng.randint(1, len(every))))
        created = event("s" * rng.choice([1, 12, 40, 128]))
        if rng.random() < 0.5:  # a logical id up to CloudFormation's 255 characters
            created = replace(
                created, reply_to=replace(created.reply_to, logical_resource_id="L" * 255)
            )
        resolution = found_images(rng.randint(1, 40), name_length=rng.randint(1, 64))
        *_, shortest = candidates(created, resolution)
        without_record = CfnResponse(
            Status.SUCCESS,
            str(shortest),
            created.reply_to,
            data=build_data(resolution, attributes, rollback_record=RecordKind.DROPPED),
        )
        try:
            answer = forward_answer(created, resolution, attributes)
        except InvalidPropertyError:
            assert without_record.size() > MAX_BODY_BYTES
            continue
        assert without_record.size() <= MAX_BODY_BYTES
        assert answer.response.size() <= MAX_BODY_BYTES
        assert len(answer.response.physical_resource_id) <= PHYSICAL_ID_LIMIT
        assert answer.response.data["RollbackRecord"] == answer.record.value
        assert parse(answer.response.physical_resource_id).kind is answer.record  # type: ignore[union-attr]
