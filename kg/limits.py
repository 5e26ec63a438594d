"""Bounds on what a user's program may take: a query runs in a child process with an address-space
limit and a deadline, so that running out of memory or time is a one-line error for that query and
not an abort of the command (an allocation that fails inside Oxigraph aborts its process, and an
embedded engine has no cancel: only a process can be stopped).

The child is forked from the caller, so it reads the store the caller has open; nothing it does
reaches back."""

from __future__ import annotations

import os
import pickle
import re
import resource
import select
import signal
import time
from collections.abc import Callable
from typing import Any

DEFAULT_MEMORY = 4 * 1024**3  # bytes of address space for one query: far above what the stored questions need
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?\s*$", re.IGNORECASE)


class LimitExceeded(Exception):
    """A query ran past its memory or time limit; the message says which and how to change it."""


def parse_size(text: str) -> int:
    """'4GB', '512M', '2GiB' → bytes.

    >>> parse_size("4GB"), parse_size("512M")
    (4294967296, 536870912)
    """
    m = _SIZE.match(str(text))
    if not m or float(m.group(1)) <= 0:
        raise ValueError(f"{text!r} is not a size (e.g. 4GB, 512MB)")
    return int(float(m.group(1)) * 1024 ** "BKMGT".index((m.group(2) or "B").upper()))


def run_bounded(fn: Callable[[], Any], memory: int | None = DEFAULT_MEMORY, timeout: float | None = None,
                what: str = "the query") -> Any:
    """``fn()`` in a forked child within ``memory`` bytes of address space and ``timeout`` seconds;
    its value (or the exception it raised) comes back pickled."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into the caller's code
        status = 0
        try:
            os.close(read_end)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 2)  # an allocation that fails prints Rust's backtrace: the caller says it in one line
            if memory:
                resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
            try:
                out: tuple[str, Any] = ("ok", fn())
            except BaseException as e:
                out = ("error", e)
            try:
                data = pickle.dumps(out)
            except Exception as e:  # an exception that does not pickle: its words do
                data = pickle.dumps(("error", RuntimeError(f"{type(out[1]).__name__}: {out[1]}" if out[0] == "error" else str(e))))
            with os.fdopen(write_end, "wb") as f:
                f.write(data)
        except BaseException:
            status = 1
        finally:
            os._exit(status)
    os.close(write_end)
    chunks: list[bytes] = []
    deadline = None if not timeout else time.monotonic() + timeout
    try:
        while True:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                os.kill(pid, signal.SIGKILL)
                raise LimitExceeded(f"{what} stopped after its {timeout:g} s time limit")
            ready, _, _ = select.select([read_end], [], [], left)
            if ready:
                chunk = os.read(read_end, 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
    finally:
        os.close(read_end)
        _, status = os.waitpid(pid, 0)
    if not chunks:
        raise LimitExceeded(f"{what} needed more than its memory limit ({memory / 1024**3:g} GB): ask for less, or raise it "
                            f"(--memory)" if memory else f"{what} ended its process ({_status(status)})")
    kind, value = pickle.loads(b"".join(chunks))
    if kind == "error":
        if isinstance(value, MemoryError):
            raise LimitExceeded(f"{what} needed more than its memory limit ({(memory or 0) / 1024**3:g} GB): ask for less, or raise it (--memory)")
        raise value
    return value


def _status(status: int) -> str:
    return f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else f"exit {os.WEXITSTATUS(status)}"
