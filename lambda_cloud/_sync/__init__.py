"""The sync facade: ``LambdaCloud`` runs ``AsyncLambdaCloud`` on a private event-loop thread.

Its classes are generated into ``_generated``, one module per module of the async side; as on
the async side, a resource's module is imported when the client first uses the resource.
"""

from ._generated._client import LambdaCloud, LambdaCloudWithRawResponse
from ._runner import SyncCallInLoopThreadError, SyncInAsyncContextWarning

__all__ = [
    "LambdaCloud",
    "LambdaCloudWithRawResponse",
    "SyncCallInLoopThreadError",
    "SyncInAsyncContextWarning",
]
