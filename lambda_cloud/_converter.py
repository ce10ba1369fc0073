"""The single cattrs converter that turns API JSON into models and request models into JSON.

Hooks are generated once per class and cached by cattrs. Unknown keys are ignored and unknown
enum values kept (see ``OpenEnum``), so a newer server never breaks an older client.
"""

from __future__ import annotations

import contextvars
import datetime
import re
import types
import typing
from collections.abc import Callable
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_unstructure_fn, override

from .errors import APIResponseError
from .types._fields import UNREAD, Codec, OpenEnum, lazy_attributes

__all__ = ["converter", "parse_datetime", "structure", "unstructure"]

T = TypeVar("T")

converter = cattrs.Converter(detailed_validation=False)


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


# Registered by class: an OpenEnum is a str, and cattrs' class dispatch would otherwise pick its
# str hook, which calls the (much slower) Enum constructor.
converter.register_structure_hook(OpenEnum, _structure_open_enum)
converter.register_unstructure_hook(OpenEnum, lambda v: v.value)
converter.register_structure_hook_func(lambda t: t == list[str], _structure_str_list)
converter.register_structure_hook(datetime.datetime, _structure_datetime)
converter.register_unstructure_hook(datetime.datetime, datetime.datetime.isoformat)

_PASSTHROUGH = (str, int, float, bool)  # orjson already made these; coercing again costs time


def _optional_inner(t: Any) -> Any:
    """``X`` for ``X | None`` (with a single ``X``), else ``None``."""
    if typing.get_origin(t) not in (typing.Union, types.UnionType):
        return None
    args = typing.get_args(t)
    if len(args) != 2 or type(None) not in args:
        return None
    return args[0] if args[1] is type(None) else args[1]


def _is_model(t: Any) -> bool:
    return attrs.has(t) and t.__module__.startswith("lambda_cloud.types")


def _list_inner(t: Any) -> Any:
    """``X`` for ``list[X]``, else ``None``."""
    return typing.get_args(t)[0] if typing.get_origin(t) is list else None


def _conversion(t: Any, i: int, globs: dict[str, Any]) -> str:
    """A format string turning ``{}`` (an expression for the JSON value) into a ``t``."""
    if t in _PASSTHROUGH:
        return "{}"
    if t == list[str]:  # orjson's list as is, unless some other iterable was given
        return "(v if type(v := {}) is list else list(v))"
    if isinstance(t, type) and issubclass(t, OpenEnum):  # the member, or the unknown-value path
        globs[f"m{i}"], globs[f"t{i}"] = t._value2member_map_, t
        return f"(m{i}.get(v := {{}}) or _enum(v, t{i}))"
    inner = _list_inner(t)
    if inner is not None and _is_model(inner):
        globs[f"h{i}"], globs[f"t{i}"] = converter.get_structure_hook(inner), inner
        return f"[h{i}(e, t{i}) for e in {{}}]"
    globs[f"h{i}"], globs[f"t{i}"] = converter.get_structure_hook(t), t
    return f"h{i}({{}}, t{i})"


def _make_model_structure(cls: type) -> Callable[[Any, Any], Any]:
    """One constructor call per model, generated once.

    Written here rather than left to cattrs' generator because parsing long instance lists is
    the SDK's hot path: an absent optional field is a plain ``dict.get`` (cattrs tests and
    collects it separately), strings and numbers are taken as orjson made them, enums are a
    dict lookup, lists of models a comprehension, and ``Lazy`` fields are left ``UNREAD`` with
    their JSON kept once, in one tuple, in ``_raw``.
    """
    lazy = lazy_attributes(cls)
    hints = typing.get_type_hints(cls)
    globs: dict[str, Any] = {"__cl": cls, "UNREAD": UNREAD, "_enum": _structure_open_enum}
    values: dict[str, str] = {}  # attribute name -> expression
    raw = []
    for i, field in enumerate(attrs.fields(cls)):
        if field.name == "_raw" and lazy:
            continue
        key, tp = field.alias, hints[field.name]
        required = field.default is attrs.NOTHING
        if field.name in lazy:
            raw.append(f"o[{key!r}]" if required else f"o.get({key!r})")
            values[field.name] = "UNREAD"
            continue
        optional = field.default is None and _optional_inner(tp) is not None
        convert = _conversion(_optional_inner(tp) if optional else tp, i, globs)
        if optional and convert == "{}":
            value = f"o.get({key!r})"
        elif optional:
            value = f"(None if (v := o.get({key!r})) is None else {convert.format('v')})"
        elif required:
            value = convert.format(f"o[{key!r}]")
        else:  # a constant default other than None (models use no factories)
            globs[f"d{i}"] = field.default
            value = f"({convert.format(f'o[{key!r}]')} if {key!r} in o else d{i})"
        values[field.name] = value
    if lazy:
        values["_raw"] = f"({', '.join(raw)},)"
    exec(compile(_constructor(cls, values), f"<model structure {cls.__qualname__}>", "exec"), globs)
    return globs["structure"]  # type: ignore[no-any-return]


def _constructor(cls: type, values: dict[str, str]) -> str:
    """The source of ``structure(o, _)`` building ``cls`` from these attribute expressions.

    A call with more than 15 keywords passes them in a dict that ``__init__`` unpacks again;
    for a model whose ``__init__`` only stores its arguments, setting each slot of a bare
    instance builds it in half the time.
    """
    fields = attrs.fields(cls)
    init = getattr(vars(cls).get("__init__"), "__code__", None)
    plain = (
        init is not None
        and init.co_filename.startswith("<attrs generated")  # not written by hand
        and vars(object)["__setattr__"] is cls.__setattr__  # neither frozen nor hooked
        and all(f.init and not f.validator and not f.converter for f in fields)
        and not any(hasattr(cls, h) for h in ("__attrs_pre_init__", "__attrs_post_init__"))
    )
    if not plain or len(fields) <= 15:
        alias = {f.name: f.alias for f in fields}
        kwargs = ", ".join(f"{alias[name]}={value}" for name, value in values.items())
        return f"def structure(o, _):\n    return __cl({kwargs})\n"
    lines = [f"    s.{name} = {value}" for name, value in values.items()]
    return "\n".join(
        ["def structure(o, _):", "    s = __cl.__new__(__cl)", *lines, "    return s\n"]
    )


def _make_model_unstructure(cls: type) -> Callable[[Any], Any]:
    # As the API writes JSON: an optional field left at None is absent, not null (a request body
    # must not send "hostname": null). Lazy fields are built first, then go out under their
    # public key; the raw JSON behind them is not sent.
    lazy = lazy_attributes(cls)
    overrides: dict[str, Any] = {}
    for field in attrs.fields(cls):
        options: dict[str, Any] = {}
        if field.name in lazy:
            options["rename"] = field.alias
        if field.name == "_raw" and lazy:
            options["omit"] = True
        elif field.default is not None:
            options["omit_if_default"] = False  # e.g. a rule's description "" is required
        if options:
            overrides[field.name] = override(**options)
    unstructure: Callable[[Any], Any] = make_dict_unstructure_fn(
        cls,
        converter,
        _cattrs_omit_if_default=True,
        **overrides,
    )
    if not lazy:
        return unstructure
    names = [attr.slot[1:] for attr in lazy.values()]

    def unstructure_lazy(obj: Any) -> Any:
        for name in names:
            getattr(obj, name)  # builds the field, so the slot holds the model
        return unstructure(obj)

    return unstructure_lazy


converter.register_structure_hook_factory(_is_model, _make_model_structure)
converter.register_unstructure_hook_factory(_is_model, _make_model_unstructure)


#: The request whose answer is being read, for the error when it does not fit its model. Set by
#: the resources in the task that then structures the answer.
current_request: contextvars.ContextVar[tuple[str, str]] = contextvars.ContextVar(
    "current_request", default=("", "")
)


#: Each target's hook, looked up once: cattrs' dispatch costs more than the hook for a small
#: model on every call.
_structure_hooks: dict[Any, Callable[[Any, Any], Any]] = {}


def structure(data: Any, cls: type[T]) -> T:
    """Build a model (or a list or dict of models) from decoded JSON.

    Raises ``APIResponseError`` when the data does not fit, as when a server answers 200 with a
    body of another shape.
    """
    try:
        hook = _structure_hooks.get(cls)
        if hook is None:
            hook = _structure_hooks[cls] = converter.get_structure_hook(cls)
        return hook(data, cls)  # type: ignore[no-any-return]
    except (KeyError, TypeError, ValueError, AttributeError, cattrs.BaseValidationError) as exc:
        method, url = current_request.get()
        name = getattr(cls, "__name__", str(cls))
        raise APIResponseError(
            f"The response does not fit {name}: {type(exc).__name__}: {exc}",
            method=method,
            url=url,
        ) from exc


def unstructure(obj: object) -> Any:
    """JSON-ready form of a model (or a list of models), as the API writes it."""
    return converter.unstructure(obj)


Codec.install(structure)
