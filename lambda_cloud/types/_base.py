"""Shared building blocks of the models."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar, cast, overload

import attrs
import orjson

from ..errors import APIResponseError, ValidationError

__all__ = ["Codec", "Lazy", "Model", "OpenEnum", "RawJSON", "lazy_attributes", "lazy_field"]

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


class RawJSON:
    """Decoded JSON kept as is until a ``Lazy`` attribute is first read."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def _materialize(value: Any, tp: Any) -> Any:
    if isinstance(value, RawJSON):
        return Codec.structure(value.value, tp)
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
