"""``@frozen`` behaves as ``@dataclass(frozen=True)`` does, for everything the project uses."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from resolver.values import frozen


def pair(*, order: bool = False) -> tuple[type[Any], type[Any]]:
    """The same class twice: as a dataclass and as a value."""

    def body() -> dict[str, Any]:
        def __post_init__(self: Any) -> None:
            object.__setattr__(self, "key", self.name.lower())

        return {
            "__annotations__": {
                "name": "str",
                "count": "int",
                "tags": "tuple[str, ...]",
                "extra": "dict[str, int]",
                "hidden": "str",
                "loose": "str",
                "key": "str",
            },
            "count": 0,
            "tags": (),
            "extra": field(default_factory=dict, compare=False),
            "hidden": field(default="h", repr=False),
            "loose": field(default="", compare=False),
            "key": field(default="", init=False, repr=False),
            "__post_init__": __post_init__,
        }

    stdlib: type[Any] = dataclass(frozen=True, order=order)(type("Thing", (), body()))
    ours: type[Any] = frozen(order=order)(type("Thing", (), body()))
    return stdlib, ours


def test_construction_defaults_factories_and_post_init_agree() -> None:
    stdlib, ours = pair()
    cases: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
        (("Api",), {}),
        (("Api", 3), {"tags": ("a",)}),
        ((), {"name": "X"}),
    ]
    for args, kwargs in cases:
        a, b = stdlib(*args, **kwargs), ours(*args, **kwargs)
        assert [getattr(a, f.name) for f in dataclasses.fields(a)] == [
            getattr(b, f.name) for f in dataclasses.fields(b)
        ]
        assert repr(a) == repr(b)
    assert ours("a").extra is not ours("a").extra  # a fresh default per instance
    assert ours("Api").key == "api"  # __post_init__ ran, after the init=False default


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [((), {}), (("a", 1, (), {}, "h", "", "extra"), {}), (("a",), {"name": "b"}), ((), {"x": 1})],
)
def test_wrong_arguments_are_type_errors_as_for_a_dataclass(
    args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    stdlib, ours = pair()
    with pytest.raises(TypeError):
        stdlib(*args, **kwargs)
    with pytest.raises(TypeError):
        ours(*args, **kwargs)
    with pytest.raises(TypeError):
        ours("a", key="k")  # not an init field


def test_equality_hash_and_frozenness_agree() -> None:
    _, ours = pair()
    assert ours("a", 1) == ours("a", 1)
    assert ours("a", 1, loose="x") == ours("a", 1, loose="y")  # compare=False
    assert ours("a", 1) != ours("a", 2)
    assert hash(ours("a", 1)) == hash(ours("a", 1, loose="z"))
    assert len({ours("a"), ours("a"), ours("b")}) == 2
    assert ours("a") != ("a",)
    with pytest.raises(dataclasses.FrozenInstanceError):
        ours("a").name = "b"
    with pytest.raises(dataclasses.FrozenInstanceError):
        del ours("a").name


def test_replace_fields_and_is_dataclass_work_unchanged() -> None:
    stdlib, ours = pair()
    assert dataclasses.is_dataclass(ours("a"))
    assert [f.name for f in dataclasses.fields(ours)] == [
        f.name for f in dataclasses.fields(stdlib)
    ]
    moved = replace(ours("Api", 1, extra={"a": 1}), count=2)
    assert (moved.name, moved.count, moved.extra, moved.key) == ("Api", 2, {"a": 1}, "api")
    with pytest.raises(ValueError, match="init=False"):
        replace(ours("a"), key="x")


def test_order_agrees() -> None:
    stdlib, ours = pair(order=True)
    names = ["b", "a", "c", "a"]
    assert [t.name for t in sorted(ours(n, i) for i, n in enumerate(names))] == [
        t.name for t in sorted(stdlib(n, i) for i, n in enumerate(names))
    ]
    assert ours("a", 1) < ours("a", 2) <= ours("a", 2)
    with pytest.raises(TypeError):
        _ = ours("a") < ("a",)


def test_a_value_class_costs_a_fraction_of_a_dataclass_to_define() -> None:
    """Counted in bytecode compilations, not in time: a dataclass compiles its methods from
    source (exec); a value class compiles nothing."""
    code = (
        "import builtins, dataclasses, sys\n"
        "from resolver.values import frozen\n"
        "compiled = []\n"
        "real = builtins.exec\n"
        "def counting(*a, **k):\n"
        "    compiled.append(1)\n"
        "    return real(*a, **k)\n"
        "builtins.exec = counting\n"
        "@dataclasses.dataclass(frozen=True)\n"
        "class A:\n"
        "    x: int\n"
        "    y: str = ''\n"
        "stdlib = len(compiled)\n"
        "@frozen\n"
        "class B:\n"
        "    x: int\n"
        "    y: str = ''\n"
        "print(stdlib, len(compiled) - stdlib)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    stdlib, ours = map(int, out.stdout.split())
    assert stdlib >= 1 and ours == 0
