"""The CLI's option vocabulary: the choices and defaults the parser offers and ``--help`` shows.

Light on purpose — enums and named tuples; no dataclasses, model or boto3 — because the parser
imports it and ``resolver --help`` must answer within 60 ms (``make bench``); each command
imports the rest when it runs.
"""

from __future__ import annotations

from enum import Enum
from typing import NamedTuple


class Output(Enum):
    TABLE = "table"
    JSON = "json"
    GITHUB = "github"


class InUseOutput(Enum):
    """``resolver in-use --output``: a table for a person, or ecrm's ``--scanned-files`` JSON."""

    TABLE = "table"
    JSON = "json"


class Emit(Enum):
    """What ``--emit`` prints on stdout, for a deploy command (the report goes to stderr)."""

    SAM_OVERRIDES = "sam-overrides"
    CDK_CONTEXT = "cdk-context"
    LOCK = "lock"  # the digests the plan saw, for the resource's ExpectedDigests


class Colour(Enum):
    AUTO = "auto"
    ALWAYS = "always"
    NEVER = "never"


class OverrideNames(NamedTuple):
    """Parameter names of the consumer template that ``--emit sam-overrides`` fills in."""

    use_prebuilt: str = "UsePreBuiltImages"
    revision: str = "ImageRevision"


class ContextKeys(NamedTuple):
    """CDK context keys that ``--emit cdk-context`` fills in.

    ``version_format`` shapes the version's value: ``cloudtak-{version}`` gives the tag itself,
    for stacks whose context carries a tag (``--context cloudtakImageTag=cloudtak-3f9a1c2e``).
    ``revision`` is emitted only when named. ``missing`` names the images a build is needed for
    (comma-separated, ``""`` for none), for a construct that builds only those.
    """

    use_prebuilt: str = "usePreBuiltImages"
    version: str = "imageVersion"
    version_format: str = "{version}"
    revision: str | None = None
    missing: str = "missingImages"
