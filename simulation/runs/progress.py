"""Progress bars for long commands: replications done, elapsed and time left, on stderr.

One function, ``replication_bar``, used by ``run`` and ``replications`` and meant for ``compare``
and ``calibrate``: they count replications (or model evaluations) the same way, so users see the
same bar everywhere. Several scenarios in one command share one bar (``total`` is the sum), so
the time left covers the whole command, not the current scenario.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager

from tqdm import tqdm

#: Count, percentage, elapsed < time left, rate: the figures a user waiting in a meeting needs.
BAR_FORMAT = "{desc}: {n_fmt}/{total_fmt} replications {percentage:3.0f}%|{bar}| " \
             "[{elapsed}<{remaining}, {rate_fmt}]"


@contextmanager
def replication_bar(total: int, description: str, initial: int = 0, enabled: bool = True):
    """A bar of ``total`` replications, ``initial`` of them already done (e.g. on resume).

    Yields an object with ``update(n=1)`` and ``set_description(text)``; disabled bars accept the
    same calls and print nothing.
    """
    with tqdm(total=total, initial=initial, desc=description, unit="rep", disable=not enabled,
              file=sys.stderr, bar_format=BAR_FORMAT, dynamic_ncols=True) as bar:
        yield bar


__all__ = ["BAR_FORMAT", "replication_bar"]
