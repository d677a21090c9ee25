"""A total deadline for network calls, however slowly the other side answers.

requests' timeouts bound each read, not the whole answer: a server sending one byte every few
seconds (headers or body) is never "timed out". `total_deadline` arms a real-time alarm for the
whole block, which interrupts even a blocking socket read; in a thread other than the main one
(where signals cannot be used) `check` between chunks is the bound instead.
"""

from __future__ import annotations

import signal
import threading
import time
from contextlib import contextmanager


class DeadlineExceeded(Exception):
    """The block ran past its deadline."""


@contextmanager
def total_deadline(seconds: float):
    """Raise DeadlineExceeded inside the block once `seconds` have passed; yields the monotonic end time."""
    ends = time.monotonic() + seconds
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield ends
        return

    def on_alarm(signum, frame):
        raise DeadlineExceeded(f"no complete answer within {seconds:g} s")

    previous_handler = signal.signal(signal.SIGALRM, on_alarm)
    previous_delay, _interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield ends
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)
        if previous_delay:  # someone else's alarm was pending: give it back what is left of it
            spent = seconds - (ends - time.monotonic())
            signal.setitimer(signal.ITIMER_REAL, max(0.001, previous_delay - spent))


class TooLarge(Exception):
    """An answer longer than its limit; not read further."""


def read_body(response, max_bytes: int, ends: float, seconds: float) -> bytes:
    """A streamed requests response's body: at most `max_bytes` (TooLarge beyond), checked against the deadline."""
    chunks, size = [], 0
    for chunk in response.iter_content(1 << 16):
        check(ends, seconds)  # off the main thread the alarm cannot fire
        size += len(chunk)
        if size > max_bytes:
            raise TooLarge(f"more than {max_bytes:,} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def check(ends: float, seconds: float) -> None:
    """Raise DeadlineExceeded if the monotonic clock is past `ends` (for loops off the main thread)."""
    if time.monotonic() > ends:
        raise DeadlineExceeded(f"no complete answer within {seconds:g} s")
