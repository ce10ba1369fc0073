"""Shared file systems and the users who create them."""

from __future__ import annotations

import datetime

import attrs

from ._base import Model, OpenEnum
from .regions import Region

__all__ = ["Filesystem", "User", "UserStatus"]


class UserStatus(OpenEnum):
    """Whether a team member's account is active."""

    ACTIVE = "active"
    DEACTIVATED = "deactivated"


@attrs.define(kw_only=True, repr=False)
class User(Model):
    """A member of your team."""

    id: str
    email: str
    status: UserStatus


@attrs.define(kw_only=True, repr=False)
class Filesystem(Model):
    """A shared file system. It cannot be deleted while ``is_in_use`` (mounted on an instance)."""

    id: str
    name: str
    #: Where instances mount it unless the launch's ``file_system_mounts`` says otherwise.
    mount_point: str
    created: datetime.datetime
    created_by: User
    is_in_use: bool
    region: Region
    #: Approximate; the API refreshes it every few hours.
    bytes_used: int | None = None
