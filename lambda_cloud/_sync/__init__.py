"""The sync facade: ``LambdaCloud`` runs ``AsyncLambdaCloud`` on a private event-loop thread."""

from ._generated import *  # noqa: F403
from ._generated import __all__ as _generated_all
from ._runner import SyncCallInLoopThreadError, SyncInAsyncContextWarning

__all__ = ["SyncCallInLoopThreadError", "SyncInAsyncContextWarning", *_generated_all]
