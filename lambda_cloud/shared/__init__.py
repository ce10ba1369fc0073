"""State that every process using one API key shares, kept in Redis (or Valkey).

Selected with ``RateLimits(shared="redis://host:6379/0")``, ``SharedState(...)`` or
``$LAMBDA_CLOUD_SHARED_STATE``: one general and one launch rate-limit bucket for all of them
(``pacing``), leases on ``launch_many`` run ids (``leases``), the spend budget's books
(``budget``) and extended instance expiries (``extensions``), under a hash of the API key
and base URL (the key itself never goes there). ``store`` holds the connection and what
happens when it fails. This package imports nothing heavy: the Redis client is imported when
a client first talks to the store.
"""

from .options import SHARED_STATE_ENV, SharedState, SharedStateLike

__all__ = ["SHARED_STATE_ENV", "SharedState", "SharedStateLike"]
