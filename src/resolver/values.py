"""``@frozen``: frozen dataclasses that cost a cold start nothing to define.

``dataclasses.dataclass`` writes each class its own ``__init__``, ``__repr__``, ``__eq__``,
``__hash__``, ``__setattr__`` and ``__delattr__`` as source text and compiles it with ``exec`` when
the class is defined — about 0.5 ms a class. The Lambda defines some forty at import, which was
most of the gap between its cold start and the floor of ``import boto3`` (``make bench``). A value
class needs no code written for it: the methods here are shared by every class and read the
fields from ``__dataclass_fields__`` at run time, so defining a class costs a few microseconds.

It is the same contract, checked the same way: ``typing.dataclass_transform`` tells mypy these are
frozen dataclasses (typed ``__init__``, no assignment), and ``__dataclass_fields__`` holds real
``dataclasses.Field`` objects, so ``dataclasses.replace``, ``fields`` and ``is_dataclass`` work on
them unchanged. What is supported is what the project uses: defaults, ``field(default_factory=…,
init=…, compare=…, repr=…)``, ``__post_init__`` and ``order=True``. The one private name relied on,
``dataclasses._FIELD`` (a field's kind, which ``replace`` and ``fields`` check), lives here only;
``tests/unit/test_values.py`` compares every behaviour with ``dataclasses.dataclass``.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from typing import Any, TypeVar, dataclass_transform, overload

T = TypeVar("T")

_MISSING = dataclasses.MISSING


@overload
def frozen(cls: type[T], /) -> type[T]: ...


@overload
def frozen(*, order: bool = False) -> Callable[[type[T]], type[T]]: ...


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field,))
def frozen(cls: type[T] | None = None, /, *, order: bool = False) -> Any:
    """``@dataclass(frozen=True)`` (with ``order=True``: also ``<``, ``<=``, ``>``, ``>=``)."""

    def make(target: type[T]) -> type[T]:
        return _made(target, order=order)

    return make if cls is None else make(cls)


def _made(cls: type[T], *, order: bool) -> type[T]:
    fields = _fields(cls)
    cls.__dataclass_fields__ = fields  # type: ignore[attr-defined]
    cls._value_init = tuple(f for f in fields.values() if f.init)  # type: ignore[attr-defined]
    cls._value_fixed = tuple(  # type: ignore[attr-defined]
        f for f in fields.values() if not f.init and f.default is not _MISSING
    )
    cls._value_compared = tuple(n for n, f in fields.items() if f.compare)  # type: ignore[attr-defined]
    for name, method in _METHODS.items():
        if name not in cls.__dict__:
            setattr(cls, name, method)
    for name, method in _ORDER.items() if order else ():
        setattr(cls, name, method)
    if cls.__dict__.get("__doc__") is None:
        cls.__doc__ = cls.__name__
    return cls


def _fields(cls: type[Any]) -> dict[str, dataclasses.Field[Any]]:
    """The base classes' fields, then this class's, in definition order, as dataclasses makes
    them (a class attribute holding a ``field()`` becomes its default, or goes)."""
    fields: dict[str, dataclasses.Field[Any]] = {}
    for base in reversed(cls.__mro__[1:]):
        fields.update(getattr(base, "__dataclass_fields__", {}))
    for name, annotation in inspect.get_annotations(cls).items():
        if str(annotation).startswith("ClassVar"):
            continue
        default = cls.__dict__.get(name, _MISSING)
        spec = (
            default
            if isinstance(default, dataclasses.Field)
            else dataclasses.field(default=default)
        )
        spec.name, spec.type = name, annotation
        spec._field_type = dataclasses._FIELD  # type: ignore[attr-defined,union-attr]
        fields[name] = spec
        if spec is default:
            if spec.default is _MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, spec.default)
    return fields


def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
    kind = type(self)
    if len(args) > len(kind._value_init):
        raise TypeError(f"{kind.__name__}() takes {len(kind._value_init)} arguments")
    for position, field in enumerate(kind._value_init):
        given = _argument(kind, field, args[position : position + 1], kwargs)
        object.__setattr__(self, field.name, given)
    for field in kind._value_fixed:
        object.__setattr__(self, field.name, field.default)
    if kwargs:
        raise TypeError(f"{kind.__name__}() got unexpected {', '.join(map(repr, kwargs))}")
    post_init = getattr(self, "__post_init__", None)
    if post_init is not None:
        post_init()


def _argument(
    kind: type[Any], field: dataclasses.Field[Any], given: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """``field``'s value: given by position, by name (taken out of ``kwargs``), or its default."""
    if given:
        if field.name in kwargs:
            raise TypeError(f"{kind.__name__}() got {field.name!r} twice")
        return given[0]
    if field.name in kwargs:
        return kwargs.pop(field.name)
    if field.default is not _MISSING:
        return field.default
    if field.default_factory is not _MISSING:
        return field.default_factory()
    raise TypeError(f"{kind.__name__}() needs {field.name!r}")


def _compared(self: Any) -> tuple[Any, ...]:
    return tuple(getattr(self, name) for name in type(self)._value_compared)


def __eq__(self: Any, other: object) -> bool:
    if type(other) is not type(self):
        return NotImplemented
    return _compared(self) == _compared(other)


def __hash__(self: Any) -> int:
    return hash(_compared(self))


def __repr__(self: Any) -> str:
    shown = ", ".join(
        f"{name}={getattr(self, name)!r}"
        for name, field in type(self).__dataclass_fields__.items()
        if field.repr
    )
    return f"{type(self).__qualname__}({shown})"


def __setattr__(self: Any, name: str, value: Any) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")


def __delattr__(self: Any, name: str) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")


_METHODS: dict[str, Callable[..., Any]] = {
    "__init__": __init__,
    "__eq__": __eq__,
    "__hash__": __hash__,
    "__repr__": __repr__,
    "__setattr__": __setattr__,
    "__delattr__": __delattr__,
}


def _ordering(compare: Callable[[tuple[Any, ...], tuple[Any, ...]], bool]) -> Callable[..., Any]:
    def method(self: Any, other: object) -> Any:
        if type(other) is not type(self):
            return NotImplemented
        return compare(_compared(self), _compared(other))

    return method


_ORDER = {
    "__lt__": _ordering(lambda a, b: a < b),
    "__le__": _ordering(lambda a, b: a <= b),
    "__gt__": _ordering(lambda a, b: a > b),
    "__ge__": _ordering(lambda a, b: a >= b),
}
