"""Count the work a function does, instead of timing it: the lines of our package it runs.

A growth test built on wall-clock time fails on a busy machine and passes a quadratic loop on a
fast one. The number of Python lines of `server/wishcraft` executed is the same on every
machine, so "4 times the input runs at most 6 times the lines" tells linear (4×) from quadratic
(16×) exactly. Work done inside C (libyaml, a dict lookup) is not counted, which is what we want:
a Python loop over every earlier key is what made the duplicate-key check quadratic once.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

PACKAGE = str(Path(__file__).resolve().parents[2] / "server" / "wishcraft")


def lines_run(function: Callable[[], Any], where: str = PACKAGE) -> int:
    """How many lines of files under `where` running `function()` executes."""
    count = 0

    def local(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal count
        if event == "line":
            count += 1
        return local

    def trace(frame: FrameType, event: str, arg: Any) -> Any:
        return local if frame.f_code.co_filename.startswith(where) else None

    previous = sys.gettrace()
    sys.settrace(trace)
    try:
        function()
    finally:
        sys.settrace(previous)
    return count


def growth(
    function: Callable[[int], Any], small: int, factor: int = 4, where: str = PACKAGE
) -> float:
    """The ratio of lines run at `small * factor` to lines run at `small` (linear: ~factor)."""
    return lines_run(lambda: function(small * factor), where) / lines_run(
        lambda: function(small), where
    )
