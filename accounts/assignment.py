"""Who gets a new account: the least-loaded active specialist of its team."""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence


def distribute(loads: Sequence[tuple[int, int]], count: int) -> Iterator[int]:
    """Yield a specialist id for each of ``count`` new accounts, always the least loaded.

    ``loads`` is ``(user_id, open accounts)``; ties go to the lower id. The importer, the demo
    seeder and ``accounts_assign_unassigned`` all use this one rule.
    """
    heap = [(load, user_id) for user_id, load in loads]
    heapq.heapify(heap)
    for _ in range(count):
        load, user_id = heapq.heappop(heap)
        yield user_id
        heapq.heappush(heap, (load + 1, user_id))
