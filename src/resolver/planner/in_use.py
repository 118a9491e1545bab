"""``resolver in-use``: every image the resolver resources of some stacks pin, for clean-up tools.

Read from what CloudFormation holds — each ``Custom::ImageResolver`` resource's
PhysicalResourceId, which records its set — never guessed from templates, and located in ECR
(``protection.inventory``: the id records digests, not repositories). The JSON output is what
ecrm's ``--scanned-files`` reads (fujiwara/ecrm, README "scan command": a JSON array of image
URIs; it keeps ``<account>.dkr.ecr.<region>.amazonaws.com/<repository>@<digest>``); the table is
for a person.

Exit 0 when every pinned image was located. Exit 7 when anything was not — a stack updating (the
id it may roll back to is not listed), an id without a record, a digest in none of the
repositories searched — because deleting by an incomplete inventory could delete a running image.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import field
from functools import partial
from typing import TYPE_CHECKING

from ..errors import InvalidPropertyError
from ..model import RESOURCE_TYPE
from ..references import Registry, Repository, parse_repository, partition_of_region
from ..values import frozen
from .aws import Aws, AwsOptions, waiting_notice
from .exit_codes import ExitCode
from .options import InUseOutput

if TYPE_CHECKING:
    from ..cloudformation.physical_id import PhysicalId
    from ..protection.inventory import Listings, Located, Wanted

# Resource types a resolver resource may have: its own, or the generic one (CDK's CustomResource
# with another resourceType is recognised by its id).
_CUSTOM = ("Custom::", "AWS::CloudFormation::CustomResource")


@frozen
class InUseOptions:
    stack_names: tuple[str, ...] = ()  # empty: every stack of the account and region
    repositories: tuple[str, ...] = ()  # empty: every repository of the account and region
    output: InUseOutput = InUseOutput.TABLE
    aws: AwsOptions = field(default_factory=AwsOptions)
    account_id: str | None = None


@frozen
class _Resource:
    stack: str
    logical_id: str
    physical_id: str
    record: str  # Full / Abbreviated / Dropped / None


@frozen
class _Row:
    resource: _Resource
    located: Located


def run_in_use(options: InUseOptions) -> ExitCode:
    from . import template as te  # noqa: PLC0415 - the stack-name check only

    for name in options.stack_names:
        te.check_stack_name(name, "--stack-name")
    aws = Aws.start(options.aws)
    account = options.account_id or aws.account_id()
    registry = Registry(account, aws.region, partition_of_region(aws.region))
    searched = _repositories(options.repositories, registry=registry)  # bad input before calls
    resources, unsettled = _resources(aws, options.stack_names)
    repositories = searched or aws.repositories(registry)
    with waiting_notice(f"ECR ({aws.where('ecr')}) listings"):
        listings = _listings(aws, repositories)
    rows = [_Row(r, listings.locate(_wanted(r))) for r in resources]
    uris = sorted({f"{repo.uri}@{digest}" for row in rows for repo, digest in row.located.images})
    if options.output is InUseOutput.JSON:
        print(json.dumps(uris, indent=2))
    else:
        print(_table(rows, stacks=len({r.stack for r in resources}), uris=len(uris)))
    problems = [*unsettled, *_problems(rows)]
    for problem in problems:
        print(f"resolver: not complete: {problem}", file=sys.stderr)
    return ExitCode.INCOMPLETE if problems else ExitCode.OK


def _repositories(given: Sequence[str], *, registry: Registry) -> list[Repository]:
    repos = []
    for text in given:
        try:
            repos.append(parse_repository(text, default=registry))
        except ValueError as exc:
            raise InvalidPropertyError(
                "--repository", text, str(exc), "Give a name, ARN or URI: team/app."
            ) from exc
    return repos


def _resources(aws: Aws, names: Sequence[str]) -> tuple[list[_Resource], list[str]]:
    """The resolver resources of the stacks, and the stacks whose inventory cannot be complete."""
    from ..cloudformation.physical_id import parse  # noqa: PLC0415

    if names:
        statuses = [(name, aws.stack_status(name)) for name in names]
    else:
        statuses = [(name, status) for name, status in aws.stacks()]
    found: list[_Resource] = []
    unsettled: list[str] = []
    for name, status in statuses:
        if status is None:
            unsettled.append(f"stack {name} does not exist")
            continue
        if status.endswith("_IN_PROGRESS") and status != "REVIEW_IN_PROGRESS":
            unsettled.append(
                f"stack {name} is {status}: an id it may return to is not listed; run again "
                "once it settles"
            )
        for logical_id, kind, physical_id in aws.resources(name):
            if not kind.startswith(_CUSTOM):
                continue
            parsed = parse(physical_id)
            if parsed is None and kind != RESOURCE_TYPE:
                continue  # another custom resource
            record = parsed.kind.value if parsed is not None else "None"
            found.append(_Resource(name, logical_id, physical_id, record))
    return found, unsettled


def _wanted(resource: _Resource) -> Wanted:
    from ..cloudformation.physical_id import parse  # noqa: PLC0415
    from ..protection.inventory import Wanted  # noqa: PLC0415

    parsed = parse(resource.physical_id)
    if parsed is None:
        return Wanted(why_not="its id records no images (made before 0.2, or not yet created)")
    if parsed.images is None and parsed.pinned is None:
        return Wanted(
            why_not="its id records only the set's revision (the record did not fit the "
            "response) and the set has no protection tags to find it by"
        )
    digests = [d for image in parsed.images or () for d in (image.digest, image.tagged_digest) if d]
    whole = tuple(d for d in digests if len(d) == len("sha256:") + 64)
    return Wanted(
        digests=whole,
        prefixes=tuple(d for d in digests if d not in whole),
        tagged_set=_tagged_set(resource, parsed),
    )


def _tagged_set(resource: _Resource, parsed: PhysicalId) -> tuple[str, str] | None:
    """A dropped record of a protected set is found by its tags."""
    from ..protection.naming import Owner  # noqa: PLC0415

    if parsed.images is not None or parsed.pinned is None:
        return None
    # The tag prefix needs only the stack's name and the logical id; the stack id's other parts
    # go into the owner hash, which a prefix does not include.
    owner = Owner(f"arn:::::stack/{resource.stack}/", resource.logical_id)
    return owner.prefix, parsed.revision


def _listings(aws: Aws, repositories: Sequence[Repository]) -> Listings:
    from ..engine.ecr.describe_images import StoredListing, list_stored_images  # noqa: PLC0415
    from ..engine.ecr.failures import LISTING_TOO_LARGE, TIMED_OUT  # noqa: PLC0415
    from ..engine.fanout import NO_DEADLINE, run_all  # noqa: PLC0415
    from ..errors import AwsCallError  # noqa: PLC0415
    from ..protection.inventory import Listings  # noqa: PLC0415

    jobs = {
        repo: partial(list_stored_images, aws.clients, repo) for repo in sorted(set(repositories))
    }
    listed = {}
    for repo, answer in run_all(jobs, deadline=NO_DEADLINE, late=TIMED_OUT).items():
        if isinstance(answer, StoredListing):
            listed[repo] = answer.images
        elif answer.code == "RepositoryNotFoundException":
            continue  # a --repository that does not exist holds nothing in use
        else:
            hint = " (name the repositories to search)" if answer.code == LISTING_TOO_LARGE else ""
            raise AwsCallError(f"could not list {repo.describe()}: {answer}{hint}")
    return Listings(listed)


def _problems(rows: Sequence[_Row]) -> list[str]:
    return [
        f"{row.resource.stack}/{row.resource.logical_id}: {missing}"
        for row in rows
        for missing in row.located.missing
    ]


def _table(rows: Sequence[_Row], *, stacks: int, uris: int) -> str:
    header = ("STACK", "RESOURCE", "RECORD", "REPOSITORY", "DIGEST")
    lines: list[tuple[str, ...]] = [header]
    for row in rows:
        resource = row.resource
        for repo, digest in row.located.images:
            lines.append(
                (resource.stack, resource.logical_id, resource.record, repo.name, digest[:19] + "…")
            )
        for missing in row.located.missing:
            lines.append((resource.stack, resource.logical_id, resource.record, "-", missing))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header) - 1)]
    text = [
        "  ".join(
            [*(cell.ljust(width) for cell, width in zip(line, widths, strict=False)), line[-1]]
        )
        for line in lines
    ]
    notes = [f"note: {note}" for row in rows for note in row.located.notes]
    summary = f"{uris} image(s) in use by {len(rows)} resolver resource(s) in {stacks} stack(s)."
    return "\n".join([*text, *notes, summary])
