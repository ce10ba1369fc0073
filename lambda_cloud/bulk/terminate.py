"""Terminating many instances: batched, with unknown ids isolated so they stop nothing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .._config import Timeout
from .._retry import RetryPolicy
from ..errors import BadRequestError, LambdaCloudError, NotFoundError, ValidationError
from ..types.instances import TERMINAL_STATUSES, Instance, InstanceStatus
from ._support import Deadline, call_persistently, check_positive, distinct_ids, retry_policy
from .options import DEFAULT_UNHEALTHY_TIMEOUT, DEFAULT_WAIT_TIMEOUT
from .progress import Progress, ProgressCallback, ProgressEvent, ProgressKind
from .reports import BulkTerminateReport, TerminateOutcome
from .wait import check_wait_options, watch

if TYPE_CHECKING:
    from .._client import AsyncLambdaCloud

__all__ = ["terminate_ids", "terminate_many"]

_EVENT_KINDS = {
    TerminateOutcome.TERMINATING: ProgressKind.TERMINATING,
    TerminateOutcome.TERMINATED: ProgressKind.TERMINATED,
    TerminateOutcome.NOT_FOUND: ProgressKind.NOT_FOUND,
    TerminateOutcome.FAILED: ProgressKind.FAILED,
}


class _Terminator:
    def __init__(
        self,
        client: AsyncLambdaCloud,
        report: BulkTerminateReport,
        *,
        total: int,
        progress: Progress,
        deadline: Deadline,
        request_timeout: Timeout | None,
        retries: int | RetryPolicy | None,
    ) -> None:
        self._client = client
        self._report = report
        self._total = total
        self._progress = progress
        self._deadline = deadline
        self._policy = retry_policy(client, retries)
        self._request_timeout = request_timeout
        self._retries = retries

    async def settle(self, batch: list[str]) -> None:
        """Terminate ``batch``, or find out why not, id by id if it comes to that."""
        try:
            instances = await call_persistently(
                # Every 404 is bisected below, even a lone id's after a lost answer, so that an
                # unknown id is reported as such.
                lambda: self._client.instances._terminate(
                    batch, timeout=self._request_timeout, retries=self._retries, gone_is_done=False
                ),
                deadline=self._deadline,
                policy=self._policy,
            )
        except (NotFoundError, BadRequestError) as exc:
            # The API fails the whole call for one unknown (or malformed) id: bisect to find it.
            if len(batch) > 1:
                middle = len(batch) // 2
                await self.settle(batch[:middle])
                await self.settle(batch[middle:])
            elif isinstance(exc, NotFoundError):
                await self._record(batch[0], TerminateOutcome.NOT_FOUND)
            else:
                await self._record(batch[0], TerminateOutcome.FAILED, error=exc)
            return
        except LambdaCloudError as exc:
            for instance_id in batch:
                await self._record(instance_id, TerminateOutcome.FAILED, error=exc)
            return
        by_id = {instance.id: instance for instance in instances}
        for instance_id in batch:
            instance = by_id.get(instance_id)
            # The call succeeded for the whole batch: an id the answer leaves out was accepted too.
            ended = instance is not None and instance.status in TERMINAL_STATUSES
            outcome = TerminateOutcome.TERMINATED if ended else TerminateOutcome.TERMINATING
            await self._record(instance_id, outcome, instance=instance)

    async def _record(
        self,
        instance_id: str,
        outcome: TerminateOutcome,
        *,
        instance: Instance | None = None,
        error: Exception | None = None,
    ) -> None:
        report = self._report
        report.outcomes[instance_id] = outcome
        if instance is not None:
            report.instances[instance_id] = instance
        if error is not None:
            report.errors[instance_id] = error
        await self._progress.emit(
            ProgressEvent(
                kind=_EVENT_KINDS[outcome],
                completed=len(report.outcomes),
                total=self._total,
                instance_id=instance_id,
                region=None if instance is None else instance.region.name,
                status=None if instance is None else instance.status,
                error=error,
            )
        )


async def terminate_ids(
    client: AsyncLambdaCloud,
    ids: Sequence[str],
    *,
    batch_size: int,
    progress: Progress,
    deadline: Deadline,
    request_timeout: Timeout | None,
    retries: int | RetryPolicy | None,
) -> BulkTerminateReport:
    """Terminate distinct, validated ``ids`` batch by batch; never raises for an id."""
    report = BulkTerminateReport()
    terminator = _Terminator(
        client,
        report,
        total=len(ids),
        progress=progress,
        deadline=deadline,
        request_timeout=request_timeout,
        retries=retries,
    )
    for start in range(0, len(ids), batch_size):
        await terminator.settle(list(ids[start : start + batch_size]))
    return report


async def terminate_many(
    client: AsyncLambdaCloud,
    ids: Sequence[str],
    *,
    batch_size: int,
    wait: bool,
    on_progress: ProgressCallback | None,
    poll_interval: float,
    timeout: float | None,
    request_timeout: Timeout | None,
    retries: int | RetryPolicy | None,
) -> BulkTerminateReport:
    """See ``AsyncInstances.terminate_many``."""
    wanted = distinct_ids(ids)
    check_positive(batch_size, "batch_size", integer=True)
    check_wait_options(timeout, poll_interval)
    if not isinstance(wait, bool):
        raise ValidationError("wait", f"expected True or False, got {wait!r}")
    progress = Progress(on_progress)
    deadline = Deadline(timeout)
    report = await terminate_ids(
        client,
        wanted,
        batch_size=batch_size,
        progress=progress,
        deadline=deadline,
        request_timeout=request_timeout,
        retries=retries,
    )
    if wait and report.terminating:
        report.waited = True
        try:
            outcome = await watch(
                client,
                report.terminating,
                InstanceStatus.TERMINATED,
                # Without a timeout, an instance stuck terminating must not hang the call.
                deadline=deadline if timeout is not None else Deadline(DEFAULT_WAIT_TIMEOUT),
                poll_interval=poll_interval,
                unhealthy_timeout=DEFAULT_UNHEALTHY_TIMEOUT,
                progress=progress,
                request_timeout=request_timeout,
                retries=retries,
            )
        except LambdaCloudError as exc:  # the terminates went through: keep their report
            report.wait_error = exc
            return report
        report.instances.update(outcome.instances)
        for instance_id in outcome.reached:
            report.outcomes[instance_id] = TerminateOutcome.TERMINATED
    return report
