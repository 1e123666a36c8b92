"""A wall-clock limit on symbolic checking (the batch's own time is :class:`graders.contract.Deadline`).

Math-Verify's own timeouts use ``signal.alarm``: whole seconds, main thread only, and they
replace any alarm already set. Here one limit covers the whole check of an item (parse gold,
parse answer, verify) and math_verify runs with its timeouts off:

* on the main thread (Lambda runs handlers there), an interval timer (``setitimer``) whose
  SIGALRM handler raises;
* on any other thread, a watchdog thread that raises in the checking thread through
  CPython's ``PyThreadState_SetAsyncExc``.

Either way the exception derives from BaseException, so Math-Verify's and sympy's
``except Exception`` cannot swallow it, and it is raised again every ``REFIRE_SECONDS`` in
case something does. Neither can stop one long C call (a huge integer power): the
pre-screening in :mod:`.guards` keeps those out. While the cyclic garbage collector runs, the limit
waits for it (see :class:`_Collections`): Python swallows an exception raised in a collector
callback or in a finalizer the collector runs, so raising there would only lose that firing.
"""

from __future__ import annotations

import gc
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

REFIRE_SECONDS = 0.05


class SymbolicTimeout(BaseException):
    """The symbolic check of one item ran past its time limit."""


class _Collections:
    """Whether a garbage collection is under way, from a ``gc.callbacks`` entry kept first (it sees "start"
    before any other callback runs) and one kept last (it sees "stop" after all of them), while a limit is on."""

    def __init__(self) -> None:
        self.running = False
        self._limits = 0
        self._lock = threading.Lock()

    def _first(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self.running = True

    def _last(self, phase: str, info: dict[str, int]) -> None:
        if phase == "stop":
            self.running = False

    def _unhook(self) -> None:
        for callback in (self._first, self._last):
            while callback in gc.callbacks:
                gc.callbacks.remove(callback)

    @contextmanager
    def watched(self) -> Iterator[None]:
        with self._lock:
            self._limits += 1
            self._unhook()  # callbacks added since (a library's own) go between the two again
            gc.callbacks.insert(0, self._first)
            gc.callbacks.append(self._last)
        try:
            yield
        finally:
            with self._lock:
                self._limits -= 1
                if not self._limits:
                    self._unhook()
                    self.running = False


_COLLECTIONS = _Collections()


def timer_available() -> bool:
    """Whether the SIGALRM timer can be used here (else the watchdog thread is)."""
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


class _Alarm:
    def __init__(self) -> None:
        self.armed = True

    def __call__(self, signum: int, frame: Any) -> None:
        if self.armed and not _COLLECTIONS.running:  # else the timer's next firing raises
            raise SymbolicTimeout()


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`SymbolicTimeout` in the block once ``seconds`` have passed."""
    seconds = max(seconds, 0.001)
    with _COLLECTIONS.watched():
        if timer_available():
            with _signal_limit(seconds):
                yield
        else:
            with _watchdog_limit(seconds):
                yield


@contextmanager
def _signal_limit(seconds: float) -> Iterator[None]:
    """A SIGALRM timer; one already running (pytest-timeout, a caller) is put back afterwards
    with the time it had left, and bounds this block too if it was due first."""
    alarm = _Alarm()
    started = time.monotonic()
    previous_handler = signal.signal(signal.SIGALRM, alarm)
    previous_delay, previous_interval = signal.setitimer(signal.ITIMER_REAL, seconds, REFIRE_SECONDS)
    if previous_delay and previous_delay < seconds:
        signal.setitimer(signal.ITIMER_REAL, previous_delay, REFIRE_SECONDS)
    try:
        yield
    finally:
        # The alarm may fire while we disarm: retry until disarmed (it no longer raises once
        # ``armed`` is false), so the previous handler and timer are always put back.
        while True:
            try:
                alarm.armed = False
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, signal.SIG_DFL if previous_handler is None else previous_handler)
                break
            except SymbolicTimeout:
                continue
        if previous_delay:
            left = previous_delay - (time.monotonic() - started)
            signal.setitimer(signal.ITIMER_REAL, max(left, 0.001), previous_interval)


class _Watchdog:
    """Raises SymbolicTimeout in one thread when its time is up, again until disarmed."""

    def __init__(self, thread_id: int, seconds: float) -> None:
        import ctypes  # only off the main thread: keeps the cold import small

        self._set_async_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc
        self._thread_id = ctypes.c_ulong(thread_id)
        self._exception = ctypes.py_object(SymbolicTimeout)
        self._lock = threading.Lock()
        self._armed = True
        self._timer = self._schedule(seconds)

    def _schedule(self, seconds: float) -> threading.Timer:
        timer = threading.Timer(seconds, self._fire)
        timer.daemon = True
        timer.start()
        return timer

    def _fire(self) -> None:
        with self._lock:
            if self._armed:
                if not _COLLECTIONS.running:
                    self._set_async_exc(self._thread_id, self._exception)
                self._timer = self._schedule(REFIRE_SECONDS)

    def disarm(self) -> None:
        with self._lock:
            self._armed = False
            self._timer.cancel()
            self._set_async_exc(self._thread_id, None)  # drop one set but not yet raised


@contextmanager
def _watchdog_limit(seconds: float) -> Iterator[None]:
    watchdog = _Watchdog(threading.get_ident(), seconds)
    try:
        yield
    finally:
        while True:  # the exception may land while disarming: retry until disarmed
            try:
                watchdog.disarm()
                break
            except SymbolicTimeout:
                continue
