"""A progress line with rate and ETA on standard error, for long commands (build, validate, push)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """``tick()`` once per item. On a terminal the line is redrawn in place; in a log it is printed
    about every tenth of the way, so CI logs stay short."""

    def __init__(self, total: int, label: str, stream: TextIO | None = None) -> None:
        self.total, self.label, self.done = total, label, 0
        self.skipped = 0  # items that cost nothing (unchanged files): they count as done, not in the rate
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._next_log = 0

    def line(self) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        rate = (self.done - self.skipped) / elapsed
        eta = (self.total - self.done) / rate if rate else 0.0
        return f"{self.label} {self.done}/{self.total} {rate:.1f}/s ETA {eta:.0f}s"

    def skip(self, n: int = 1) -> None:
        """Items done at no cost: 2,999 unchanged files must not make the one being built look slow
        (the rate and ETA are of the items worked on), and a line is printed only at the end."""
        self.done += n
        self.skipped += n
        self.started = time.monotonic()  # the rate counts from the first item worked on
        if self.done >= self.total:
            self.stream.write(self.line() + "\n")
            self.stream.flush()

    def tick(self, n: int = 1, note: str = "") -> None:
        self.done += n
        if self.tty:
            self.stream.write(f"\r{self.line()} {note[:60]:60}")
            if self.done >= self.total:
                self.stream.write("\n")
        elif self.done >= self._next_log or self.done >= self.total:
            self.stream.write(self.line() + (f" {note}" if note else "") + "\n")
            self._next_log = self.done + max(1, self.total // 10)
        self.stream.flush()
