"""AWS partitions as the installed botocore knows them: which partition a region is in, the DNS
suffix of its endpoints, and the shapes of the names the resolver reads (ARNs, registry hosts).

The source is botocore's own partition data (``botocore/data/partitions.json``: each partition's
id, ``regionRegex``, regions and ``dnsSuffix``), read with botocore's loader — the data its endpoint
resolver reads, so a partition botocore learns (aws-eusc arrived that way) needs a newer botocore,
not a new resolver. A region belongs to the first partition that lists it or whose ``regionRegex``
matches it, in botocore's order (``endpoint_provider.RuleSetStandardLibrary.aws_partition``).

The data is read once, on first use, never at import: the Lambda's imports are its cold start,
and ``resolver --help`` must not import botocore at all. The first use costs well under a
millisecond; a region botocore lists (every real one) is then a set lookup, no regex.
"""

from __future__ import annotations

import functools
import os
import re
from typing import Final, NamedTuple

# The shapes of a partition id and a region inside ARNs and host names. They only find the parts;
# the partition data decides what is real (``named``, ``Partition.has_region``).
PARTITION_ID: Final = r"aws(?:-[a-z0-9]+)*"  # aws, aws-cn, aws-iso-b, aws-eusc
REGION: Final = r"[a-z]+(?:-[a-z]+)+-\d+"  # eu-west-1, us-isob-east-1, eusc-de-east-1


class Partition(NamedTuple):
    """One partition: its id (the ARN's second field), regions and endpoints' DNS suffix.

    A NamedTuple rather than a frozen dataclass: as immutable and typed, at a tenth of the cost
    to build at import (the Lambda's cold start).
    """

    id: str
    dns_suffix: str
    region_regex: str
    regions: frozenset[str]

    def has_region(self, region: str) -> bool:
        """Whether ``region`` is one of this partition's, by name or by its ``regionRegex``."""
        return region in self.regions or re.fullmatch(self.region_regex, region) is not None


@functools.cache
def known() -> tuple[Partition, ...]:
    """Every partition botocore knows, in its order (``aws`` first); read once per process."""
    from botocore.loaders import create_loader  # noqa: PLC0415 - on first use, not at import

    # AWS_DATA_PATH is where botocore's own sessions look first: the same data its clients use.
    data = create_loader(os.environ.get("AWS_DATA_PATH")).load_data("partitions")
    return tuple(
        Partition(
            id=entry["id"],
            dns_suffix=entry["outputs"]["dnsSuffix"],
            region_regex=entry["regionRegex"],
            regions=frozenset(entry.get("regions", {})),
        )
        for entry in data["partitions"]
    )


def named(partition_id: str) -> Partition | None:
    """The partition with this id, or None for one botocore does not know."""
    return next((p for p in known() if p.id == partition_id), None)


def of_region(region: str) -> Partition | None:
    """The partition ``region`` belongs to, or None when none claims it."""
    return next((p for p in known() if p.has_region(region)), None)


def dns_suffix(partition_id: str) -> str:
    """The DNS suffix of a known partition's endpoints (``amazonaws.com``, ``c2s.ic.gov``…)."""
    partition = named(partition_id)
    if partition is None:
        raise LookupError(f"unknown partition {partition_id!r} (botocore knows {ids()})")
    return partition.dns_suffix


def partition_of_region(region: str) -> str:
    """The id of ``region``'s partition; botocore's default, the first (``aws``), for a region
    no partition claims — an invented region is caught where its endpoint is looked up."""
    found = of_region(region)
    return found.id if found else known()[0].id


def ids() -> str:
    """The known partition ids, for messages: ``aws, aws-cn, …``."""
    return ", ".join(p.id for p in known())
