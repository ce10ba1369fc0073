"""The ``LAMBDA_CLOUD_LOG`` switch: ``debug`` or ``info`` sends the ``lambda_cloud`` logger's
records to stderr without any logging setup of your own.

At ``debug``: each attempt (method, path, status, milliseconds, attempt number) and each wait for
a rate-limit slot (which bucket, how long). At ``info``: each retry (why, how long). No record
ever holds the API key: only methods, paths, statuses and error messages are logged.
"""

from __future__ import annotations

import logging
import os
import warnings

__all__ = ["LOG_ENV", "setup_logging"]

LOG_ENV = "LAMBDA_CLOUD_LOG"
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}
_FORMAT = "[%(asctime)s %(levelname)s %(name)s] %(message)s"


def setup_logging() -> None:
    """Turn on the ``lambda_cloud`` logger if ``$LAMBDA_CLOUD_LOG`` asks for it (once)."""
    value = os.environ.get(LOG_ENV, "").strip().lower()
    if not value:
        return
    level = _LEVELS.get(value)
    if level is None:
        warnings.warn(
            f"{LOG_ENV}={value!r} is not one of {sorted(_LEVELS)}: logging stays off",
            UserWarning,
            stacklevel=2,
        )
        return
    logger = logging.getLogger("lambda_cloud")
    logger.setLevel(level)
    if not any(getattr(h, "_lambda_cloud", False) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(_FORMAT))
        handler._lambda_cloud = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
