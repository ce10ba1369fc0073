"""Typing names newer than the oldest Python this package supports (3.10)."""

from __future__ import annotations

import sys

if sys.version_info >= (3, 11):
    from typing import NotRequired, Required, Unpack
else:  # pragma: no cover - Python 3.10
    from typing_extensions import NotRequired, Required, Unpack

__all__ = ["NotRequired", "Required", "Unpack"]
