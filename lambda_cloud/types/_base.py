"""Shared building blocks of the models."""

from __future__ import annotations

import enum

__all__ = ["OpenEnum"]


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
