"""SSH keys."""

from __future__ import annotations

import attrs

from ._base import Model

__all__ = ["GeneratedSSHKey", "SSHKey"]


@attrs.define(kw_only=True, repr=False)
class SSHKey(Model):
    """An SSH key stored in your account."""

    id: str
    name: str
    public_key: str


@attrs.define(kw_only=True, repr=False)
class GeneratedSSHKey(SSHKey):
    """A key pair the API generated. ``private_key`` is shown this once: save it now."""

    private_key: str = attrs.field(repr=False)
