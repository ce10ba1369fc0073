"""One module per resource group of the API."""

from .instance_types import AsyncInstanceTypes
from .instances import AsyncInstances
from .ssh_keys import AsyncSSHKeys

__all__ = ["AsyncInstanceTypes", "AsyncInstances", "AsyncSSHKeys"]
