"""Batching at its edges, through the public entry point, counted on the wire."""

from __future__ import annotations

import math

import pytest

from devkit.ecr_emulator import ensure_repository, manifest, push
from resolver.engine import NO_DEADLINE, resolve
from resolver.engine.ecr.batch_get_image import fetch_images
from resolver.engine.ecr.clients import EcrClients
from resolver.model import ImageStatus
from resolver.properties import parse_request
from resolver.references import Registry

from .conftest import Ecr

HOME = Registry("123456789012", "ap-southeast-2")


def test_no_images_no_calls(ecr: Ecr, clients: EcrClients) -> None:
    assert fetch_images([], clients=clients, deadline=NO_DEADLINE).calls == 0
    assert ecr.calls() == 0


@pytest.mark.parametrize(
    "sizes",
    [[1], [100], [101], [120, 120, 10], [250], [99, 1, 100]],
    ids=lambda sizes: "+".join(map(str, sizes)),
)
def test_one_call_per_repository_per_hundred_ids(
    ecr: Ecr, clients: EcrClients, sizes: list[int]
) -> None:
    client = ecr.client()
    images = {}
    pushed = set()
    for r, size in enumerate(sizes):
        repo = f"repo{r}"
        ensure_repository(client, repo)
        for i in range(size):
            name = f"R{r}I{i}"
            images[name] = {"Repository": repo, "Tag": f"t{i}"}
            if i % 10 == 3:  # a few present, most missing: both kinds must come back
                push(client, repo, f"t{i}", manifest(f"{repo}:{i}"))
                pushed.add(name)
    request = parse_request({"OnMissing": "Report", "Images": images}, default_registry=HOME)

    resolution = resolve(request, clients=clients)

    expected_calls = sum(math.ceil(size / 100) for size in sizes)
    assert ecr.calls() == expected_calls
    # Images not found get a second look, per repository (archived? being restored?) and once
    # for the registry (pull-through cache rules): every ECR call is counted.
    assert ecr.calls("DescribeImages") == 2 * len(sizes)
    assert ecr.calls("DescribePullThroughCacheRules") == 1
    assert resolution.ecr_calls == expected_calls + 2 * len(sizes) + 1
    assert [image.name for image in resolution.images] == list(images)
    found = {image.name for image in resolution.images if image.status is ImageStatus.FOUND}
    assert found == pushed
    assert all(
        image.status is ImageStatus.TAG_NOT_FOUND
        for image in resolution.images
        if image.name not in pushed
    )
