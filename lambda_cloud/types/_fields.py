"""The pieces of a model the converter reads: open enums, and ``Lazy`` attributes whose JSON
is built on first read. Below both the converter and ``types._base``."""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any, Generic, TypeVar, cast, overload

__all__ = ["UNREAD", "Codec", "Lazy", "OpenEnum", "lazy_attributes"]

T = TypeVar("T")


class Codec:
    """How a ``Lazy`` attribute builds its value: the converter's ``structure``, installed by
    ``lambda_cloud._converter`` when it is imported (it reads the ``Lazy`` attributes here to
    build its hooks, so this module cannot import it). ``types._base`` imports the converter,
    so it is installed before any model class exists."""

    structure: Callable[[Any, Any], Any]

    @classmethod
    def install(cls, structure: Callable[[Any, Any], Any]) -> None:
        """Set the function every ``Lazy`` attribute reads its JSON with."""
        cls.structure = staticmethod(structure)


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


class _Unread:
    """The one value every unread ``Lazy`` slot holds while its JSON waits in ``_raw``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNREAD"

    def __reduce__(self) -> str:
        return "UNREAD"  # copied or pickled, it stays the one sentinel


UNREAD: Any = _Unread()


class Lazy(Generic[T]):
    """A model attribute built from raw JSON on first read, backed by the slot ``_<name>``.

    Parsing a list of a hundred instances is dominated by building small nested objects that
    few callers look at (actions, tags, mounts); leaving them as JSON until read roughly halves
    the cost. Declare the slot with ``lazy_field`` and the public name with ``Lazy(type)``, in
    the same order, on a ``LazyModel``.
    """

    def __init__(self, tp: Any) -> None:
        self.tp = tp
        self.slot = ""
        self.index = -1

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = "_" + name
        lazies = [key for key, value in vars(owner).items() if isinstance(value, Lazy)]
        self.index = lazies.index(name)

    @overload
    def __get__(self, obj: None, owner: type) -> Lazy[T]: ...

    @overload
    def __get__(self, obj: object, owner: type) -> T: ...

    def __get__(self, obj: object | None, owner: type) -> Lazy[T] | T:
        if obj is None:
            return self
        value = getattr(obj, self.slot)
        if value is UNREAD:
            raw = cast("Any", obj)._raw
            assert raw is not None  # UNREAD is only ever set together with _raw
            value = Codec.structure(raw[self.index], self.tp)
            setattr(obj, self.slot, value)
        return value  # type: ignore[no-any-return]

    def __set__(self, obj: object, value: T) -> None:
        setattr(obj, self.slot, value)


def lazy_attributes(cls: type) -> dict[str, Lazy[Any]]:
    """The ``Lazy`` attributes of a model class, by slot name, in declaration order."""
    return {attr.slot: attr for attr in vars(cls).values() if isinstance(attr, Lazy) and attr.slot}
