"""Terminating many instances: batched, with unknown ids isolated so they stop nothing."""

from __future__ import annotations

from collections.abc import Sequence

from .._deadline import Deadline
from .._validation import check_bool
from ..errors import BadRequestError, LambdaCloudError, NotFoundError
from ..types.instances import TERMINAL_STATUSES, Instance, InstanceStatus
from .api import InstancesAPI
from .checks import check_positive, distinct_ids
from .inventory import is_live
from .options import DEFAULT_UNHEALTHY_TIMEOUT, DEFAULT_WAIT_TIMEOUT
from .progress import Phase, Progress, ProgressCallback, ProgressEvent, ProgressKind
from .reports import BulkTerminateReport, TerminateOutcome
from .wait import check_wait_options, watch

__all__ = ["check_options", "terminate_ids", "terminate_many"]

_EVENT_KINDS = {
    TerminateOutcome.TERMINATING: ProgressKind.TERMINATING,
    TerminateOutcome.TERMINATED: ProgressKind.TERMINATED,
    TerminateOutcome.NOT_FOUND: ProgressKind.NOT_FOUND,
    TerminateOutcome.FAILED: ProgressKind.FAILED,
}


def _outcome_of(accepted: Instance | None) -> TerminateOutcome:
    """Where an instance whose terminate was accepted stands."""
    ended = accepted is not None and accepted.status in TERMINAL_STATUSES
    return TerminateOutcome.TERMINATED if ended else TerminateOutcome.TERMINATING


# Instance lists a terminate_many checks 404s against before it gives up on a listed live one
# (each round one list call, and one terminate per id still listed live).
_CONFIRM_ROUNDS = 10


class _Terminator:
    def __init__(
        self,
        api: InstancesAPI,
        report: BulkTerminateReport,
        *,
        total: int,
        progress: Progress,
        deadline: Deadline,
    ) -> None:
        self._api = api
        self._report = report
        self._total = total
        self._progress = progress
        self._deadline = deadline

    async def settle(self, batch: list[str]) -> None:
        """Terminate ``batch``, or find out why not, id by id if it comes to that."""
        try:
            # Every 404 is bisected below, even a lone id's after a lost answer, so that an
            # unknown id is reported as such.
            instances = await self._api.terminate(batch, self._deadline)
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
            # The call succeeded for the whole batch: an id the answer leaves out was accepted too.
            instance = by_id.get(instance_id)
            await self._record(instance_id, _outcome_of(instance), instance=instance)

    async def confirm_not_found(self) -> None:
        """Check the ids answered 404 against the instance list: a 404 alone is not proof that
        an instance is gone. A listed live one is terminated again, by itself; after
        ``_CONFIRM_ROUNDS`` lists that still show it live, it is reported failed."""
        doubtful = self._report.not_found
        for round_ in range(_CONFIRM_ROUNDS):
            if not doubtful:
                return
            try:
                listed = {i.id: i for i in await self._api.list_instances(self._deadline)}
            except LambdaCloudError as exc:
                for instance_id in doubtful:
                    await self._record(instance_id, TerminateOutcome.FAILED, error=exc)
                return
            last = round_ == _CONFIRM_ROUNDS - 1
            doubtful = [i for i in doubtful if not await self._confirm(i, listed.get(i), last)]

    async def _confirm(self, instance_id: str, instance: Instance | None, last: bool) -> bool:
        """Settle one id answered 404; False if it is listed live and terminating it failed."""
        if instance is None:
            return True  # unknown to the terminate call and to the list: gone
        if not is_live(instance):
            await self._record(instance_id, _outcome_of(instance), instance=instance)
            return True
        try:
            instances = await self._api.terminate([instance_id], self._deadline)
        except LambdaCloudError as exc:  # another 404 for a listed instance is no answer either
            if last:
                await self._record(instance_id, TerminateOutcome.FAILED, error=exc)
            return last
        accepted = next((i for i in instances if i.id == instance_id), None)
        await self._record(instance_id, _outcome_of(accepted), instance=accepted)
        return True

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
                phase=Phase.TERMINATING,
                done=len(report.outcomes),
                total=self._total,
                instance_id=instance_id,
                region=None if instance is None else instance.region.name,
                status=None if instance is None else instance.status,
                error=error,
            )
        )


async def terminate_ids(
    api: InstancesAPI,
    ids: Sequence[str],
    *,
    batch_size: int,
    progress: Progress,
    deadline: Deadline,
) -> BulkTerminateReport:
    """Terminate distinct, validated ``ids`` batch by batch; never raises for an id."""
    report = BulkTerminateReport()
    terminator = _Terminator(api, report, total=len(ids), progress=progress, deadline=deadline)
    for start in range(0, len(ids), batch_size):
        await terminator.settle(list(ids[start : start + batch_size]))
    await terminator.confirm_not_found()
    return report


def check_options(
    *,
    batch_size: int,
    wait: bool,
    on_progress: ProgressCallback | None,
    poll_interval: float,
    timeout: float | None,
) -> Progress:
    """Check ``terminate_many``'s options but the ids (``reclaim`` checks them before it lists
    the ids); the progress to report to."""
    check_positive(batch_size, "batch_size", integer=True)
    check_wait_options(timeout, poll_interval)
    check_bool(wait, "wait")
    return Progress(on_progress)


async def terminate_many(
    api: InstancesAPI,
    ids: Sequence[str],
    *,
    batch_size: int,
    wait: bool,
    on_progress: ProgressCallback | None,
    poll_interval: float,
    timeout: float | None,
) -> BulkTerminateReport:
    """See ``AsyncInstances.terminate_many``."""
    wanted = distinct_ids(ids)
    progress = check_options(
        batch_size=batch_size,
        wait=wait,
        on_progress=on_progress,
        poll_interval=poll_interval,
        timeout=timeout,
    )
    deadline = Deadline(timeout)
    report = await terminate_ids(
        api, wanted, batch_size=batch_size, progress=progress, deadline=deadline
    )
    if wait and report.terminating:
        report.waited = True
        try:
            outcome = await watch(
                api,
                report.terminating,
                InstanceStatus.TERMINATED,
                # Without a timeout, an instance stuck terminating must not hang the call.
                deadline=deadline if timeout is not None else Deadline(DEFAULT_WAIT_TIMEOUT),
                poll_interval=poll_interval,
                unhealthy_timeout=DEFAULT_UNHEALTHY_TIMEOUT,
                progress=progress,
            )
        except LambdaCloudError as exc:  # the terminates went through: keep their report
            report.wait_error = exc
            return report
        report.instances.update(outcome.instances)
        for instance_id in outcome.reached:
            report.outcomes[instance_id] = TerminateOutcome.TERMINATED
    return report
