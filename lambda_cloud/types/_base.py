"""Shared building blocks of the models."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar, cast, overload

import attrs
import orjson

from ..errors import APIResponseError, ValidationError

__all__ = [
    "UNREAD",
    "Codec",
    "Lazy",
    "LazyModel",
    "Model",
    "OpenEnum",
    "lazy_attributes",
    "lazy_field",
    "raw_field",
]

T = TypeVar("T")
M = TypeVar("M", bound="Model")


class Codec:
    """The converter's two directions, installed by ``lambda_cloud._converter`` when it is
    imported (it imports the models, so the models cannot import it)."""

    structure: Callable[[Any, Any], Any]
    unstructure: Callable[[Any], Any]

    @classmethod
    def install(
        cls, structure: Callable[[Any, Any], Any], unstructure: Callable[[Any], Any]
    ) -> None:
        """Set the functions every model's ``to_dict`` / ``from_dict`` use."""
        cls.structure = staticmethod(structure)
        cls.unstructure = staticmethod(unstructure)


class Model:
    """Base of every model: conversion to and from the API's JSON, and a repr of public
    fields.

    Use ``to_dict()`` rather than ``attrs.asdict``: ``asdict`` sees the private slots behind
    lazily built fields (``_instance_type`` holding raw JSON, say), not the API's shape.
    """

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        """The model as the API writes it in JSON (optional fields left unset are absent)."""
        return Codec.unstructure(self)  # type: ignore[no-any-return]

    def to_json(self, *, indent: bool = False) -> str:
        """``to_dict()`` as a JSON string (indented by two spaces with ``indent=True``)."""
        return orjson.dumps(self.to_dict(), option=orjson.OPT_INDENT_2 if indent else 0).decode()

    @classmethod
    def from_dict(cls: type[M], data: Mapping[str, Any]) -> M:
        """Build the model from the API's JSON shape (as ``to_dict`` gives); unknown keys are
        ignored. Raises ``ValidationError`` when ``data`` does not fit."""
        if not isinstance(data, Mapping):
            raise ValidationError(cls.__name__, f"expected a mapping, got {type(data).__name__}")
        try:
            return Codec.structure(data, cls)  # type: ignore[no-any-return]
        except APIResponseError as exc:
            cause = exc.__cause__
            raise ValidationError(cls.__name__, f"{type(cause).__name__}: {cause}") from exc

    def __repr__(self) -> str:
        # Lazily built fields appear under their public names, built.
        parts = []
        for field in attrs.fields(cast("type[attrs.AttrsInstance]", type(self))):
            if field.repr is not False:
                name = field.alias if field.name.startswith("_") else field.name
                parts.append(f"{name}={getattr(self, name)!r}")
        return f"{type(self).__name__}({', '.join(parts)})"


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


class LazyModel(Model):
    """A model with ``Lazy`` attributes: their JSON is kept once, in the attrs field ``_raw``
    (a tuple in declaration order), and each slot holds ``UNREAD`` until first read.

    Declare the class with ``eq=False``: equality here compares the built public values, so an
    untouched instance equals one whose nested fields were read.
    """

    __slots__ = ()
    _raw: tuple[Any, ...] | None

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(
            getattr(self, name) == getattr(other, name) for name in _compared_names(type(self))
        )

    __hash__ = None  # type: ignore[assignment]  # mutable, like every attrs model here


def raw_field() -> Any:
    """The attrs field holding a ``LazyModel``'s unread JSON (set by the converter)."""
    return attrs.field(default=None, alias="_raw", eq=False, repr=False)


def _compared_names(cls: type) -> list[str]:
    names = []
    for field in attrs.fields(cast("type[attrs.AttrsInstance]", cls)):
        if field.name == "_raw":
            continue
        names.append(field.alias if field.name.startswith("_") else field.name)
    return names


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
            raw = cast("LazyModel", obj)._raw
            assert raw is not None  # UNREAD is only ever set together with _raw
            value = Codec.structure(raw[self.index], self.tp)
            setattr(obj, self.slot, value)
        return value  # type: ignore[no-any-return]

    def __set__(self, obj: object, value: T) -> None:
        setattr(obj, self.slot, value)


def lazy_field(*, alias: str, default: Any = attrs.NOTHING) -> Any:
    """The attrs field behind a ``Lazy`` attribute (compared and shown by ``LazyModel`` as the
    built value)."""
    return attrs.field(default=default, alias=alias, eq=False)


def lazy_attributes(cls: type) -> dict[str, Lazy[Any]]:
    """The ``Lazy`` attributes of a model class, by slot name, in declaration order."""
    return {attr.slot: attr for attr in vars(cls).values() if isinstance(attr, Lazy) and attr.slot}
