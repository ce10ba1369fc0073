"""The instance requests the endpoints and the bulk port share, sent as they come: the list,
a launch from a request builder, and a terminate that may tell an unknown id from a gone one.
The callers validate; these only send and read the answer."""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import Any

from .._converter import structure, unstructure
from .._options import RequestOptions
from .._retry import RetryRule, may_have_taken_effect
from ..bulk.api import RequestBuilder
from ..errors import APIError, APIResponseError, LaunchOutcomeUnknownError
from ..types.instances import Instance
from ._base import AsyncAPIResource, is_not_found

__all__ = ["InstanceRequests"]

_LAUNCH_PATH = "/instance-operations/launch"


class InstanceRequests(AsyncAPIResource):
    """``GET /instances``, ``POST /instance-operations/launch`` and ``.../terminate``."""

    async def list(
        self,
        *,
        params: Mapping[str, str] | None = None,
        options: RequestOptions,
    ) -> builtins.list[Instance]:
        """The account's instances (``params``: the list's query, already checked)."""
        data = await self._request("GET", "/instances", params=params, options=options)
        return structure(data, builtins.list[Instance])

    async def launch(
        self,
        build: RequestBuilder,
        *,
        options: RequestOptions,
    ) -> builtins.list[str]:
        """Launch the request ``build`` makes once the launch's rate-limit slot is reserved;
        an outcome that may have created an instance raises ``LaunchOutcomeUnknownError``."""
        sent: dict[str, Any] = {}

        async def body() -> object:
            sent.clear()
            sent.update(unstructure(await build()))
            return sent

        try:
            data = await self._request(
                "POST",
                _LAUNCH_PATH,
                build_body=body,
                rule=RetryRule.LAUNCH,
                options=options,
            )
        except APIError as exc:
            if may_have_taken_effect(exc):
                raise _outcome_unknown(exc, sent) from exc
            raise
        ids = data.get("instance_ids") if isinstance(data, dict) else None
        if (
            not isinstance(ids, builtins.list)
            or not ids
            or not all(isinstance(i, str) for i in ids)
        ):
            # The launch went through, but which instance it made is unknown: reconcile.
            bad = APIResponseError(
                f"Launch answered without instance ids: {str(data)[:200]}",
                method="POST",
                url=self._api.base_url + _LAUNCH_PATH,
            )
            raise _outcome_unknown(bad, sent) from bad
        return ids

    async def terminate(
        self,
        ids: builtins.list[str],
        *,
        options: RequestOptions,
        gone_is_done: bool,
    ) -> builtins.list[Instance]:
        """Terminate ``ids``; ``gone_is_done=False`` makes every 404 an error (``terminate_many``
        tells an unknown id from a terminated one)."""
        data = await self._request(
            "POST",
            "/instance-operations/terminate",
            body={"instance_ids": ids},
            options=options,
            done_if=is_not_found if gone_is_done else None,
        )
        if data is None:  # terminated by an attempt whose answer was lost
            return await self.listed(ids, options=options)
        return structure(data["terminated_instances"], builtins.list[Instance])

    async def listed(
        self,
        ids: builtins.list[str],
        *,
        options: RequestOptions,
    ) -> builtins.list[Instance]:
        """The listed instances among ``ids`` (the result of an operation whose answer was lost)."""
        wanted = set(ids)
        return [i for i in await self.list(options=options) if i.id in wanted]


def _outcome_unknown(exc: APIError, body: dict[str, Any]) -> LaunchOutcomeUnknownError:
    sent = {k: v for k, v in body.items() if k != "user_data"}  # may hold secrets, and be 1 MB
    return LaunchOutcomeUnknownError(
        f"The launch may have created an instance ({type(exc).__name__}: {exc}). It was not "
        "retried, to avoid paying for a duplicate: list instances and match the name or tags "
        "before launching again (instances.launch_many reconciles automatically).",
        method=exc.method,
        url=exc.url,
        request_body=sent,
    )
