"""The CLI's documented exit codes (README: "Exit codes"): CI scripts branch on them."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0  # every image found (plan) / SUCCESS (invoke)
    ERROR = 1  # an unexpected error (a bug: please report it)
    INVALID = 2  # invalid input: flags, template, parameters or properties
    BUILD_NEEDED = 3  # at least one image is missing: build it (or deploy with pre-built off)
    LOOKUP_FAILED = 4  # AWS could not answer: credentials, access denied, throttling, network
    VULNERABLE = 5  # a gate blocks an image: vulnerability (FailOnSeverity / RequireScan)...
    RETENTION_RISK = 5  # ...or retention (OnRetentionRisk: Fail): the same answer for CI
    GATE_BLOCKED = 5  # ...or signature (RequireSignature, OnUnsigned: Fail)
    RESOURCE_FAILED = 6  # invoke: the custom resource answered FAILED (its Reason is printed)
    INCOMPLETE = 7  # in-use: some pinned image could not be located: delete nothing by it
