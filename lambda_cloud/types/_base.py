"""Shared building blocks of the models: the ``Model`` base, with its conversion to and from
the API's JSON, and ``LazyModel``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

import attrs
import orjson

from .._converter import structure, unstructure
from ..errors import APIResponseError, ValidationError
from ._fields import UNREAD, Lazy, OpenEnum, lazy_attributes

__all__ = [
    "UNREAD",
    "Lazy",
    "LazyModel",
    "Model",
    "OpenEnum",
    "lazy_attributes",
    "lazy_field",
    "raw_field",
]

M = TypeVar("M", bound="Model")


class Model:
    """Base of every model: conversion to and from the API's JSON, and a repr of public
    fields.

    Use ``to_dict()`` rather than ``attrs.asdict``: ``asdict`` sees the private slots behind
    lazily built fields (``_instance_type`` holding raw JSON, say), not the API's shape.
    """

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        """The model as the API writes it in JSON (optional fields left unset are absent)."""
        return unstructure(self)  # type: ignore[no-any-return]

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
            return structure(data, cls)
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


def lazy_field(*, alias: str, default: Any = attrs.NOTHING) -> Any:
    """The attrs field behind a ``Lazy`` attribute (compared and shown by ``LazyModel`` as the
    built value)."""
    return attrs.field(default=default, alias=alias, eq=False)
