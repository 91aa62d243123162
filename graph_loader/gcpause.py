"""Pause Python's cyclic garbage collector around bulk work on the graph.

Reading, validating and building a world-scale graph allocates tens of millions of lists, dicts and strings;
each allocation burst triggers a collection, and the oldest generation's collections walk every object
already made — the cached graph included. Measured on the world data (1.17 M rows): validate 12.7 -> 7.8 s,
build 11.6 -> 4.5 s with the collector paused. The work paused creates no reference cycles to speak of, so
nothing waits long for the collector; reference counting frees everything else as usual.
"""

from __future__ import annotations

import gc
import threading
from contextlib import contextmanager

_lock = threading.Lock()
_pausers = 0
_was_enabled = False


@contextmanager
def gc_paused():
    """Pause the collector (a context manager, or a decorator: `@gc_paused()`).

    Re-entrant and thread-safe: the collector is switched back on — if it was on before the first pause —
    when the last paused piece of work, in any thread, is done."""
    global _pausers, _was_enabled
    with _lock:
        if _pausers == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pausers += 1
    try:
        yield
    finally:
        with _lock:
            _pausers -= 1
            if _pausers == 0 and _was_enabled:
                gc.enable()
