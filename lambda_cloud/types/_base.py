"""Shared building blocks of the models."""

from __future__ import annotations

import enum
from typing import Any, Generic, TypeVar, overload

import attrs

__all__ = ["Lazy", "OpenEnum", "RawJSON", "lazy_attributes", "lazy_field"]

T = TypeVar("T")


class OpenEnum(str, enum.Enum):
    """A string enum that keeps values it does not know instead of failing.

    The API adds statuses and codes over time; an old client must still parse them. An unknown
    value becomes a pseudo-member that compares equal to its string.
    """

    @classmethod
    def _missing_(cls, value: object) -> OpenEnum | None:
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = value.upper().replace("-", "_")
        member._value_ = value
        return member

    def __str__(self) -> str:
        return str(self.value)

    @property
    def is_known(self) -> bool:
        """False for a value this version of the SDK does not know."""
        return type(self)._value2member_map_.get(self._value_) is self


class RawJSON:
    """Decoded JSON kept as is until a ``Lazy`` attribute is first read."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def _materialize(value: Any, tp: Any) -> Any:
    if isinstance(value, RawJSON):
        from .._converter import structure  # the converter imports the models

        return structure(value.value, tp)
    return value


class Lazy(Generic[T]):
    """A model attribute built from raw JSON on first read, backed by the slot ``_<name>``.

    Parsing a list of a hundred instances is dominated by building small nested objects that
    few callers look at (actions, tags, mounts); leaving them as JSON until read roughly halves
    the cost. Declare the slot with ``lazy_field`` and the public name with ``Lazy(type)``.
    """

    def __init__(self, tp: Any) -> None:
        self.tp = tp
        self.slot = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = "_" + name

    @overload
    def __get__(self, obj: None, owner: type) -> Lazy[T]: ...

    @overload
    def __get__(self, obj: object, owner: type) -> T: ...

    def __get__(self, obj: object | None, owner: type) -> Lazy[T] | T:
        if obj is None:
            return self
        value = getattr(obj, self.slot)
        if isinstance(value, RawJSON):
            value = _materialize(value, self.tp)
            setattr(obj, self.slot, value)
        return value  # type: ignore[no-any-return]

    def __set__(self, obj: object, value: T) -> None:
        setattr(obj, self.slot, value)


def lazy_field(tp: Any, *, alias: str, default: Any = attrs.NOTHING) -> Any:
    """The attrs field behind a ``Lazy`` attribute: equal and shown as the built model."""

    def same(a: Any, b: Any) -> bool:
        return bool(_materialize(a, tp) == _materialize(b, tp))

    return attrs.field(
        default=default,
        alias=alias,
        eq=attrs.cmp_using(eq=same, require_same_type=False),
        repr=lambda value: repr(_materialize(value, tp)),
    )


def lazy_attributes(cls: type) -> dict[str, Lazy[Any]]:
    """The ``Lazy`` attributes of a model class, by slot name."""
    return {attr.slot: attr for attr in vars(cls).values() if isinstance(attr, Lazy) and attr.slot}
