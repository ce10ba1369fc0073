"""The single cattrs converter that turns API JSON into models and request models into JSON.

Hooks are generated once per class and cached by cattrs. Unknown keys are ignored and unknown
enum values kept (see ``OpenEnum``), so a newer server never breaks an older client.
"""

from __future__ import annotations

import datetime
import re
from typing import Any, TypeVar

import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from .types._base import OpenEnum
from .types.instances import (
    ImageSpecification,
    ImageSpecificationFamily,
    ImageSpecificationID,
    Instance,
)

__all__ = ["converter", "parse_datetime", "structure", "unstructure_request"]

T = TypeVar("T")

converter = cattrs.Converter(detailed_validation=False)
# Request bodies leave out what the caller did not set, as the API treats absent and null apart.
_requests = cattrs.Converter(omit_if_default=True)


def _structure_image(value: Any, _: Any) -> ImageSpecification:
    if "id" in value:
        return ImageSpecificationID(id=value["id"])
    return ImageSpecificationFamily(family=value["family"])


def _structure_open_enum(value: Any, cls: type[OpenEnum]) -> OpenEnum:
    # The lookup skips EnumMeta.__call__, which costs several times more on the hot path.
    return cls._value2member_map_.get(value) or cls(value)  # type: ignore[return-value]


# Python 3.10's fromisoformat takes neither "Z" nor fractions other than 3 or 6 digits.
_ISO_FRACTION_AND_ZONE = re.compile(r"(?:\.(\d+))?(Z|z|[+-]\d\d:?\d\d)?$")


def parse_datetime(value: str) -> datetime.datetime:
    """An ISO 8601 timestamp as an aware datetime; a trailing ``Z`` or no offset means UTC."""
    match = _ISO_FRACTION_AND_ZONE.search(value)
    assert match is not None  # every group is optional, so the pattern matches any string
    fraction, zone = match.groups()
    text = value[: match.start()]
    if fraction:
        text += "." + fraction[:6].ljust(6, "0")  # nanoseconds are cut to microseconds
    if zone and zone.upper() != "Z":
        text += zone[:3] + ":" + zone[-2:]
    parsed = datetime.datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return parsed


def _structure_datetime(value: Any, _: Any) -> datetime.datetime:
    if isinstance(value, datetime.datetime):
        return value
    return parse_datetime(value)


def _structure_str_list(value: Any, _: Any) -> list[str]:
    return list(value)


def _is_open_enum(t: Any) -> bool:
    return isinstance(t, type) and issubclass(t, OpenEnum)


for _conv in (converter, _requests):
    _conv.register_structure_hook_func(_is_open_enum, _structure_open_enum)
    _conv.register_unstructure_hook_func(_is_open_enum, lambda v: v.value)
    _conv.register_structure_hook(ImageSpecification, _structure_image)
    _conv.register_structure_hook_func(lambda t: t == list[str], _structure_str_list)
    _conv.register_structure_hook(datetime.datetime, _structure_datetime)
    _conv.register_unstructure_hook(datetime.datetime, datetime.datetime.isoformat)

# Instance.actions stays raw JSON until read (see the model); its key is the public name.
converter.register_structure_hook(
    Instance,
    make_dict_structure_fn(
        Instance, converter, _actions=override(rename="actions", struct_hook=lambda v, _: v)
    ),
)
converter.register_unstructure_hook(
    Instance,
    make_dict_unstructure_fn(Instance, converter, _actions=override(rename="actions")),
)


def structure(data: Any, cls: type[T]) -> T:
    """Build a model (or a list or dict of models) from decoded JSON."""
    return converter.structure(data, cls)


def unstructure_request(obj: object) -> Any:
    """JSON-ready form of a request model, leaving out fields left at their default."""
    return _requests.unstructure(obj)
