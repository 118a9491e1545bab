"""Image platforms as Docker and OCI name them: ``linux/amd64``, ``linux/arm/v7``.

A noun shared by the request (``Platform: linux/arm64``) and by image-index handling, parsed
once here. Names follow containerd's normalisation (``aarch64`` is ``arm64``, ``armhf`` is
``arm/v7``...); ``arm64``'s variant ``v8`` is its default, so an entry without a variant and one
with ``v8`` are the same platform for matching (``engine.indexes`` applies that rule).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import field

from .values import frozen

_PLATFORM_FORM = "os/arch[/variant], e.g. linux/arm64 or linux/arm/v7"
_COMPONENT = re.compile(r"[a-z0-9][a-z0-9._-]*")

# architecture alias -> (architecture, variant it implies or None)
_ARCH_ALIASES: Mapping[str, tuple[str, str | None]] = {
    "aarch64": ("arm64", None),
    "x86_64": ("amd64", None),
    "x86-64": ("amd64", None),
    "i386": ("386", None),
    "armhf": ("arm", "v7"),
    "armel": ("arm", "v6"),
}
ARM64 = "arm64"
ARM64_DEFAULT_VARIANT = "v8"


@frozen(order=True)
class Platform:
    """``os/architecture[/variant]``.

    Ordering is by os, architecture, then variant with "no variant" first; ``sorted()`` works on
    any mix of platforms with and without a variant.
    """

    os: str
    architecture: str
    variant: str | None = field(default=None, compare=False)
    # What ordering and equality use for the variant: None would not compare with a string.
    _variant_key: str = field(default="", init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_variant_key", self.variant or "")

    @classmethod
    def parse(cls, text: str) -> Platform:
        """``"linux/arm64"``, ``"linux/arm/v7"``, aliases such as ``"linux/aarch64"``; any case.

        Raises ``ValueError`` naming the expected form; callers turn it into their own error.
        """
        parts = text.strip().lower().split("/")
        if not 2 <= len(parts) <= 3 or not all(_COMPONENT.fullmatch(part) for part in parts):
            raise ValueError(f"invalid platform {text!r}: expected the form {_PLATFORM_FORM}")
        variant = parts[2] if len(parts) == 3 else None
        try:
            return normalised(parts[0], parts[1], variant)
        except ValueError as exc:
            raise ValueError(f"invalid platform {text!r}: {exc}") from exc

    def __str__(self) -> str:
        base = f"{self.os}/{self.architecture}"
        return f"{base}/{self.variant}" if self.variant else base


LAMBDA_DEFAULT_PLATFORM = Platform("linux", "amd64")


def normalised(os_name: str, architecture: str, variant: str | None) -> Platform:
    """containerd's aliases for an already lower-cased platform; ``ValueError`` on a conflict."""
    if variant is not None and variant.isdigit():
        variant = f"v{variant}"
    canonical, implied = _ARCH_ALIASES.get(architecture, (architecture, None))
    if implied is not None:
        if variant not in (None, implied):
            raise ValueError(f"{architecture} means {canonical}/{implied}, not variant {variant}")
        variant = implied
    return Platform(os_name, canonical, variant or None)
