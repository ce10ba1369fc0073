"""The private event loop that the sync facade runs the async client on.

One loop per process, owned by a daemon thread that starts with the first call, is shared by
every sync client (so one client's connection pool serves all threads) and stops when the last
open client closes; an ``atexit`` hook closes whatever is still open.

A call runs on that loop in one of two ways:

- When nobody is running the loop, the calling thread runs it itself for the length of the call
  (``run_until_complete``): no thread hop, so a call costs what an awaited one does.
- Otherwise (another thread is in a call, or the caller is inside a running event loop) the
  coroutine is queued with ``call_soon_threadsafe`` and the caller sleeps on a lock it keeps per
  thread, which the coroutine's wrapper releases the moment it finishes. The daemon thread runs
  the loop whenever such calls are in flight and no caller does, and parks when none are.
"""

from __future__ import annotations

import asyncio
import atexit
import collections
import contextlib
import enum
import functools
import logging
import os
import queue
import selectors
import signal
import threading
import warnings
import weakref
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from types import TracebackType
from typing import Any, Literal, NoReturn, TypeVar, cast

from .._timeouts import within

__all__ = ["Relay", "Runner", "SyncCallInLoopThreadError", "SyncInAsyncContextWarning"]

log = logging.getLogger("lambda_cloud")

T = TypeVar("T")
C = TypeVar("C", bound="Callable[..., object] | None")

# Seconds closing clients and leftover tasks get when the loop shuts down.
_SHUTDOWN_GRACE = 5.0


class SyncCallInLoopThreadError(RuntimeError):
    """A sync method was called from code the sync facade's event loop is running (an aiohttp
    trace callback, say), where waiting for the result would deadlock."""


class SyncInAsyncContextWarning(RuntimeWarning):
    """The sync client was called while an event loop runs in the calling thread."""


class _Done(enum.Enum):
    DONE = enum.auto()


class _Waiter:
    """Where a call's outcome lands. Its lock is held while idle; the call releases it once."""

    __slots__ = ("error", "lock", "relay", "result", "spawned", "task")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.lock.acquire()
        self.task: asyncio.Task[None] | None = None
        self.spawned = True  # False while a call queued for the loop has not started there
        self.result: Any = None
        self.error: BaseException | None = None
        self.relay: Relay | None = None

    def release(self) -> None:
        """The call is over: wake the caller (draining its relay, if it has one)."""
        relay = self.relay
        self.lock.release()
        if relay is not None:
            relay.finish()

    def wait(self) -> None:
        """Block until the call is over, running its relayed callbacks meanwhile."""
        if self.relay is not None:
            self.relay.drain()
        self.lock.acquire()


class Relay:
    """Carries one sync call's callbacks from the loop to the calling thread.

    The loop only queues each callback invocation, so a slow callback never stalls the call;
    the caller runs them in order while it waits, in its own thread, where a callback may call
    the sync client. As on the async side, a failing callback is logged and otherwise ignored.
    """

    __slots__ = ("_finished", "_queue", "_runner")

    def __init__(self, runner: Runner) -> None:
        self._runner = runner
        self._queue: queue.SimpleQueue[tuple[Callable[..., object], tuple[Any, ...]] | None]
        self._queue = queue.SimpleQueue()
        self._finished = False

    def wrap(self, callback: C) -> C:
        """A stand-in for ``callback`` that queues each invocation for the caller."""
        if callback is None or not callable(callback):
            return callback  # the async method's own check refuses a non-callable
        target = callback

        def relayed(*args: Any) -> None:
            self._queue.put((target, args))

        return cast(C, relayed)

    def run(self, aw: Awaitable[T]) -> T:
        """Run ``aw`` on the loop as ``Runner.run`` does, its callbacks relayed here."""
        return self._runner.run(aw, relay=self)

    def finish(self) -> None:
        """The call is over: ``drain`` returns once it has run what was queued before."""
        self._queue.put(None)

    def drain(self) -> None:
        """Run queued callbacks, in order, until the call is over."""
        while not self._finished:
            item = self._queue.get()
            if item is None:
                self._finished = True
                return
            callback, args = item
            try:
                callback(*args)
            except Exception:
                log.exception("callback %r failed", callback)


class _Loop:
    """One event loop, the daemon thread that owns it, and who is running it right now."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        # Reentrant: a client's finalizer may run on garbage collection while it is held.
        self.lock = threading.RLock()
        self.driver: int | None = None  # the thread running the loop (the daemon's ident, too)
        self.inflight = 0  # calls started and not finished
        self.closing = False
        self.draining = False
        self.wake = threading.Event()  # the daemon has something to do
        self.orphans: collections.deque[Callable[[], Awaitable[None]]] = collections.deque()
        self.background: set[asyncio.Task[None]] = set()
        self.thread = threading.Thread(target=self._main, name="lambda-cloud-sync", daemon=True)
        self.thread.start()
        self.ident = self.thread.ident

    def _main(self) -> None:
        loop = self.loop
        try:
            while True:
                self.wake.wait()
                with self.lock:
                    self.wake.clear()
                    if self.closing and self.driver is None:
                        self.driver = self.ident
                    if self.driver != self.ident:
                        continue  # a caller runs the loop now
                    if self.closing:
                        self.draining = True
                        break
                self.close_orphans()
                loop.run_forever()  # until the last call in flight finishes, or closing
                self.hand_off()
            self.close_orphans()
            loop.run_until_complete(_drain())
            loop.run_until_complete(loop.shutdown_asyncgens())
            # Python 3.12+ cannot start the thread this needs at interpreter exit, when the
            # executor's workers have been joined already anyway.
            with contextlib.suppress(RuntimeError):
                loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            loop.close()

    def hand_off(self) -> None:
        """The running thread stops running the loop: the daemon takes over if needed."""
        with self.lock:
            if self.inflight or self.closing:
                self.driver = self.ident
                self.wake.set()
            else:
                self.driver = None

    def finished(self) -> None:
        """A call finished (on the loop)."""
        with self.lock:
            self.inflight -= 1
            # While draining, the daemon runs the loop until the drain is done: stopping it
            # early would raise "Event loop stopped before Future completed" in that thread.
            if not self.inflight and self.driver == self.ident and not self.draining:
                self.loop.stop()  # the daemon parks

    def close_orphans(self) -> None:
        """Start closing the clients garbage-collected unclosed (by whoever runs the loop)."""
        while self.orphans:
            task = self.loop.create_task(_quietly(self.orphans.popleft()()))
            self.background.add(task)  # the loop only keeps weak references to tasks
            task.add_done_callback(self.background.discard)

    def _stop_for_close(self) -> None:
        if not self.draining:  # else the daemon stopped already, and this would cut the drain
            self.loop.stop()

    def running_here(self) -> bool:
        return asyncio._get_running_loop() is self.loop

    def close(self) -> None:
        """Stop the loop (calls still running get a grace period), and wait for that unless it
        would deadlock."""
        with self.lock:
            self.closing = True
            if self.driver is None:
                self.driver = self.ident
            elif self.driver == self.ident:
                self.loop.call_soon_threadsafe(self._stop_for_close)
            self.wake.set()
        if threading.get_ident() != self.ident and not self.running_here():
            self.thread.join()

    def disconnect(self) -> None:
        """Cut a forked child off from this (the parent's) loop, sockets and epoll set.

        Whatever the child then does with the objects it inherited (a client dropping its old
        pool on first use, say) would reach the parent's connections: unregistering a socket
        removes the parent's registration from the shared epoll set, and closing a TLS
        connection sends the server a close_notify. Pointing the child's copies of those
        descriptors at /dev/null makes all of that fail harmlessly, in the child only.
        """
        loop = self.loop
        loop.set_exception_handler(lambda loop, context: None)  # the orphans' complaints are moot
        selector = getattr(loop, "_selector", None)
        if isinstance(selector, selectors.BaseSelector):
            fds = [key.fd for key in selector.get_map().values()]
            fileno = getattr(selector, "fileno", None)  # epoll and kqueue are kernel objects too
            if fileno is not None:
                fds.append(fileno())
            devnull = os.open(os.devnull, os.O_RDWR)
            try:
                for fd in fds:
                    os.dup2(devnull, fd)
            finally:
                os.close(devnull)
        _inherited.append(self)  # never collected: closing the loop would use those descriptors


_inherited: list[_Loop] = []


class _CtrlC:
    """While the main thread waits for a call, Ctrl-C cancels the call rather than raising
    KeyboardInterrupt inside whatever code is running (as ``asyncio.run`` does).

    KeyboardInterrupt is raised once the call has finished cleaning up: a cancelled bulk launch
    terminates what it created, and a script exiting halfway through would leave paid machines
    running. Each further press cancels the call again, and the call decides what that means: a
    bulk launch's second cancel stops its wait for launches of unknown outcome, the third cuts
    its cleanup down to the terminate requests for the instances it knows of.
    """

    def __init__(self, state: _Loop, aw: Awaitable[Any], waiter: _Waiter) -> None:
        self.state = state
        self.aw = aw
        self.waiter = waiter
        self.presses = 0
        self.done = False
        self.previous: Callable[[int, Any], Any] | int | None = None  # while installed

    @property
    def pressed(self) -> bool:
        """Whether Ctrl-C was pressed during the call."""
        return self.presses > 0

    def install(self, *, over: bool = False) -> None:
        """Take SIGINT over if this is the main thread and nobody else handles it, or (``over``:
        another handler's KeyboardInterrupt has just cancelled the call) even if somebody does,
        so that no later press abandons the cleanup. Their handler is put back afterwards."""
        if self.previous is not None or threading.current_thread() is not threading.main_thread():
            return
        previous = signal.getsignal(signal.SIGINT)
        if previous is None or (previous is not signal.default_int_handler and not over):
            return  # not ours to handle, or set outside Python, where it could not be put back
        self.previous = previous
        signal.signal(signal.SIGINT, self._on_sigint)

    def uninstall(self) -> None:
        self.done = True
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
            self.previous = None

    def press(self) -> None:
        """Count a Ctrl-C, and have the loop cancel the call (again)."""
        self.presses += 1
        # Only a thread-safe call here: a signal handler interrupts whatever the main thread
        # does (the loop's own code, or a relayed callback writing to the terminal).
        self.state.loop.call_soon_threadsafe(self._cancel, self.presses)

    def _on_sigint(self, signum: int, frame: object) -> None:
        self.press()

    def _cancel(self, presses: int) -> None:
        if self.done:
            return
        if self.waiter.task is None:
            # The call is over, or was never queued: Ctrl-C landed as it was being queued, and
            # this cancel, queued behind where it would be, finds nothing to cancel.
            if not self.waiter.spawned:
                _settle_unstarted(self.waiter, self.aw, self.state)
            return
        _warn_interrupted(presses)
        if presses == 1:
            _LoopThread._cancel(self.state, self.aw, self.waiter)
        else:
            _LoopThread._cancel_again(self.waiter)


def _warn_interrupted(presses: int) -> None:
    if presses == 1:
        log.warning(
            "Interrupted: cancelling the call and waiting for it to clean up; a bulk launch "
            "terminates what it launched (press Ctrl-C again to hurry the cleanup)"
        )
    elif presses == 2:
        log.warning(
            "Interrupted again: hurrying the cleanup; a bulk launch no longer waits for "
            "launches of unknown outcome (press Ctrl-C once more to skip all but terminating)"
        )
    elif presses == 3:
        log.warning(
            "Interrupted a third time: a bulk launch now only sends the terminate requests for "
            "the instances it knows of; the call raises once they are done"
        )
    else:
        log.warning("Interrupted again: still waiting for the call's last cleanup requests")


async def _drive(aw: Awaitable[Any], waiter: _Waiter, state: _Loop, settle: bool) -> None:
    try:
        if settle:
            # The loop was idle: let what arrived meanwhile (a server hanging up a pooled
            # connection, say) be handled before the call picks a connection.
            await asyncio.sleep(0)
        waiter.result = await aw
    except GeneratorExit:
        raise
    except BaseException as exc:  # cancellation and KeyboardInterrupt too: the caller decides
        _discard(aw)  # cancelled before it started
        waiter.error = exc
    finally:
        waiter.task = None
        state.finished()
        waiter.release()


def _release_unstarted(
    waiter: _Waiter, aw: Awaitable[Any], state: _Loop, task: asyncio.Task[None]
) -> None:
    # A task cancelled before its first step never enters _drive's try block.
    if waiter.task is task:
        waiter.task = None
        _settle_unstarted(waiter, aw, state)


def _settle_unstarted(waiter: _Waiter, aw: Awaitable[Any], state: _Loop) -> None:
    """End a call cancelled before it started: its outcome is a ``CancelledError``."""
    waiter.spawned = True
    _discard(aw)
    waiter.error = asyncio.CancelledError()
    state.finished()
    waiter.release()


async def _anext(iterator: AsyncIterator[T]) -> T | Literal[_Done.DONE]:
    # __anext__ is called here, on the loop, so an async generator registers with that loop's
    # finalizer hooks rather than with whatever loop the calling thread may run.
    try:
        return await iterator.__anext__()
    except StopAsyncIteration:
        return _Done.DONE


async def _aclose(iterator: AsyncIterator[Any]) -> None:
    await iterator.aclose()  # type: ignore[attr-defined]


async def _quietly(aw: Awaitable[None]) -> None:
    with contextlib.suppress(Exception):  # a background close has nobody to report to
        await within(aw, _SHUTDOWN_GRACE)


async def _drain() -> None:
    """Give tasks still pending when the loop stops a moment to finish, then cancel them."""
    tasks = asyncio.all_tasks() - {asyncio.current_task()}
    if tasks:
        _, pending = await asyncio.wait(tasks, timeout=_SHUTDOWN_GRACE)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=_SHUTDOWN_GRACE)


def _discard(aw: Awaitable[Any]) -> None:
    """Drop an awaitable that will never run, without a "never awaited" warning."""
    if isinstance(aw, Coroutine):
        aw.close()


def _trim(tb: TracebackType | None) -> TracebackType | None:
    """The traceback without its leading frames from this module (_drive, _anext)."""
    while tb is not None and tb.tb_frame.f_globals is _GLOBALS:
        tb = tb.tb_next
    return tb


_GLOBALS = globals()


class _Lease:
    """What keeps the loop alive for one client (and its ``with_options`` copies).

    Open while ``finalizer`` is alive: the finalizer closes the client if it is dropped unclosed.
    """

    __slots__ = ("__weakref__", "aclose", "finalizer")

    def __init__(self, aclose: Callable[[], Awaitable[None]]) -> None:
        self.aclose = aclose
        self.finalizer: weakref.finalize[Any, Any] | None = None

    @property
    def open(self) -> bool:
        return self.finalizer is not None and self.finalizer.alive


class _LoopThread:
    """The process-wide loop and the open leases that keep it alive."""

    def __init__(self) -> None:
        self._reset()
        self.warned = False
        atexit.register(self._at_exit)
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._after_fork_in_child)

    def _reset(self) -> None:
        # Reentrant: a lease's finalizer may run on garbage collection while this lock is held.
        self._lock = threading.RLock()
        self._state: _Loop | None = None
        self._local = threading.local()
        self._open: set[weakref.finalize[Any, Any]] = set()

    @property
    def running(self) -> bool:
        """Whether the loop's daemon thread is up (for tests and diagnostics)."""
        return self._state is not None and self._state.thread.is_alive()

    def in_loop_thread(self) -> bool:
        """Whether the calling code runs on the loop (where blocking on it would deadlock)."""
        state = self._state
        return state is not None and state.running_here()

    # -- calls ---------------------------------------------------------------------------------

    def call(self, aw: Awaitable[T], relay: Relay | None = None) -> T:
        """Run ``aw`` on the loop and return its result, or raise its exception, here.

        With a ``relay``, the loop runs elsewhere (the daemon, or another caller) so that this
        thread is free to run the call's callbacks.
        """
        state = self._state or self._start()
        running = asyncio._get_running_loop()
        if running is state.loop:
            _discard(aw)
            raise SyncCallInLoopThreadError(
                "A LambdaCloud method was called from code running on its own event loop, which "
                "would deadlock; use AsyncLambdaCloud (and await) in code that runs on that loop."
            )
        if running is not None and not self.warned:
            self._warn_in_async_context()
        local = self._local
        waiter: _Waiter | None = getattr(local, "waiter", None)
        if waiter is None:  # this thread's first call, or a call nested in one (a signal handler)
            waiter = _Waiter()
        else:
            local.waiter = None
        here = False
        try:
            with state.lock:
                state.inflight += 1
                if running is None and state.driver is None and relay is None:
                    here = True
                    state.driver = threading.get_ident()
                elif state.driver is None:
                    state.driver = state.ident
                    state.wake.set()
            waiter.relay = relay
            if here:
                self._run_here(state, aw, waiter)
            else:
                self._run_there(state, aw, waiter)
        finally:
            waiter.relay = None
            if here:  # whatever happened: a loop nobody runs would strand other threads' calls
                state.hand_off()  # the daemon finishes a call that Ctrl-C left cleaning up
        local.waiter = waiter  # not after an interruption: the call may still release the lock
        error = waiter.error
        if error is not None:
            waiter.error = None
            try:
                raise error.with_traceback(_trim(error.__traceback__))
            finally:
                del error  # no cycle through this frame
        result: T = waiter.result
        waiter.result = None
        return result

    @staticmethod
    def _run_here(state: _Loop, aw: Awaitable[Any], waiter: _Waiter) -> None:
        """Run the loop in this thread until the call is done."""
        loop = state.loop
        ctrl_c = _CtrlC(state, aw, waiter)
        ctrl_c.install()
        try:
            state.close_orphans()
            task = waiter.task = loop.create_task(_drive(aw, waiter, state, settle=True))
            try:
                loop.run_until_complete(task)
            except BaseException:
                # KeyboardInterrupt from another SIGINT handler, raised wherever the loop was:
                # a press like ours, and the call cleans up.
                ctrl_c.press()
                ctrl_c.install(over=True)
                loop.run_until_complete(asyncio.wait([task]))
                raise
        finally:
            ctrl_c.uninstall()
        if ctrl_c.pressed:
            # The call's own outcome (a bulk launch's report, say) stays reachable.
            raise KeyboardInterrupt from waiter.error
        waiter.lock.acquire()  # _drive released it

    def _run_there(self, state: _Loop, aw: Awaitable[Any], waiter: _Waiter) -> None:
        """Queue the call on the loop that another thread runs, and wait for it."""
        ctrl_c = _CtrlC(state, aw, waiter)
        waiter.spawned = False
        try:
            state.loop.call_soon_threadsafe(self._spawn, state, aw, waiter)
        except Exception:  # refused (a closed loop): nothing was queued, so nothing ran
            waiter.spawned = True
            _discard(aw)
            state.finished()
            raise
        except BaseException as exc:
            # KeyboardInterrupt from Python's handler (ours is not installed yet), perhaps
            # after _spawn was queued and the call started: it must be cancelled, not dropped.
            self._interrupted(ctrl_c, exc)
        try:
            ctrl_c.install()  # after _spawn is queued: a press's cancel then finds the task
            waiter.wait()
        except BaseException as exc:  # KeyboardInterrupt from another SIGINT handler
            self._interrupted(ctrl_c, exc)
        ctrl_c.uninstall()
        if ctrl_c.pressed:
            raise KeyboardInterrupt from waiter.error

    @staticmethod
    def _interrupted(ctrl_c: _CtrlC, exc: BaseException) -> NoReturn:
        """A KeyboardInterrupt our handler did not take is a press like ours: the call cleans
        up, and then ``exc`` is raised, caused by the call's own outcome (as in _run_here: a
        bulk launch's report, say, stays reachable)."""
        try:
            ctrl_c.press()
            ctrl_c.install(over=True)  # no later press abandons the cleanup
            ctrl_c.waiter.wait()
        finally:
            ctrl_c.uninstall()
        exc.__cause__ = ctrl_c.waiter.error
        raise exc

    @staticmethod
    def _spawn(state: _Loop, aw: Awaitable[Any], waiter: _Waiter) -> None:
        waiter.spawned = True
        waiter.task = state.loop.create_task(_drive(aw, waiter, state, settle=False))

    @staticmethod
    def _cancel(state: _Loop, aw: Awaitable[Any], waiter: _Waiter) -> None:
        task = waiter.task
        if task is not None:
            task.cancel()
            task.add_done_callback(functools.partial(_release_unstarted, waiter, aw, state))

    @staticmethod
    def _cancel_again(waiter: _Waiter) -> None:
        if waiter.task is not None:
            waiter.task.cancel()

    def _warn_in_async_context(self) -> None:
        self.warned = True
        warnings.warn(
            "LambdaCloud was called from a running event loop: it works, but blocks that loop "
            "until the call returns. In async code, use AsyncLambdaCloud and await its methods.",
            SyncInAsyncContextWarning,
            stacklevel=5,  # _warn <- call <- Runner.run <- generated method <- the user's call
        )

    # -- lifecycle -----------------------------------------------------------------------------

    def _start(self) -> _Loop:
        with self._lock:
            if self._state is None:
                self._state = _Loop()
            return self._state

    def open(self, lease: _Lease) -> None:
        with self._lock:
            if not lease.open:
                finalizer = weakref.finalize(lease, self._abandon, lease.aclose)
                finalizer.atexit = False  # _at_exit closes open clients itself, in order
                lease.finalizer = finalizer
                self._open.add(finalizer)

    def release(self, lease: _Lease) -> None:
        with self._lock:
            finalizer = lease.finalizer
            if finalizer is not None and finalizer.detach() is not None:
                self._open.discard(finalizer)
        self._stop_if_idle()

    def _abandon(self, aclose: Callable[[], Awaitable[None]]) -> None:
        """A client was garbage-collected unclosed: close it when the loop next runs."""
        with self._lock:
            self._open = {f for f in self._open if f.alive}
            state = self._state
        if state is not None:  # else it never ran a request, so it has no session to close
            state.orphans.append(aclose)
        self._stop_if_idle()

    def _stop_if_idle(self) -> None:
        with self._lock:
            if self._open or self._state is None:
                return
            state, self._state = self._state, None
        state.close()

    def _at_exit(self) -> None:
        with self._lock:
            finalizers = list(self._open)
        for finalizer in finalizers:
            detached = finalizer.detach()
            if detached is not None and self._state is not None:
                _, _, (aclose,), _ = detached
                with contextlib.suppress(Exception):  # at exit nobody could act on it
                    self.call(within(aclose(), _SHUTDOWN_GRACE))
        with self._lock:
            self._open.clear()
        self._stop_if_idle()

    def _after_fork_in_child(self) -> None:
        # The parent's loop cannot be used here (its daemon thread did not survive the fork):
        # start afresh, with the leases opened in the parent counting as closed.
        state = self._state
        for finalizer in self._open:
            finalizer.detach()
        self._reset()
        if state is not None:
            state.disconnect()


_loop_thread = _LoopThread()


class Runner:
    """A sync client's handle on the shared loop, used by the generated classes.

    Runs the client's calls and keeps the loop alive while the client is open; it opens again
    on the next call after ``close``, as the async client's pool does. ``derive()`` gives the
    handle of a ``with_options`` copy, which shares the pool and so the lease: closing it
    releases nothing.
    """

    __slots__ = ("_lease", "_owner")

    def __init__(self, aclose: Callable[[], Awaitable[None]]) -> None:
        self._lease = _Lease(aclose)
        self._owner = True

    def derive(self) -> Runner:
        """The handle of a copy that shares this client's connection pool."""
        runner = Runner.__new__(Runner)
        runner._lease = self._lease
        runner._owner = False
        return runner

    def run(self, aw: Awaitable[T], relay: Relay | None = None) -> T:
        """Run ``aw`` on the loop and return its result (running ``relay``'s callbacks here)."""
        if not self._lease.open:
            _loop_thread.open(self._lease)
        return _loop_thread.call(aw, relay)

    def relay(self) -> Relay:
        """A relay for one call whose callbacks must run in the caller's thread."""
        return Relay(self)

    def iterate(self, iterable: AsyncIterable[T]) -> Iterator[T]:
        """Iterate ``iterable`` on the loop, one item per blocking ``next()``."""
        iterator = iterable.__aiter__()
        while True:
            item = self.run(_anext(iterator))
            if item is _Done.DONE:
                return
            try:
                yield item
            except BaseException:  # closed early (break, close(), garbage collection)
                self._close_iterator(iterator)
                raise

    def _close_iterator(self, iterator: AsyncIterator[Any]) -> None:
        # On the loop (garbage collection there) blocking would deadlock; the loop's own
        # async-generator finalizer closes it instead. A closed client has nothing left to close.
        if hasattr(iterator, "aclose") and self._lease.open and not _loop_thread.in_loop_thread():
            _loop_thread.call(_aclose(iterator))

    def close(self, aw: Awaitable[None]) -> None:
        """Run the client's closing coroutine ``aw``, then release the loop."""
        lease = self._lease
        if not lease.open:  # nothing ran since it was last closed: no session to close
            _discard(aw)
            return
        try:
            _loop_thread.call(aw)
        finally:
            if self._owner:
                _loop_thread.release(lease)
