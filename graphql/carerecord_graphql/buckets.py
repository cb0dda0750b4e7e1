"""Token buckets, one per caller, in a map of bounded size.

A bucket left alone for a full refill time is exactly a fresh bucket, so it is dropped: the map holds only
callers seen within the last refill time. Past `max_callers` (a flood of distinct addresses), the least
recently seen bucket is dropped first; that caller merely gets a fresh bucket, so memory stays bounded and
nobody is refused because of someone else.
"""

from __future__ import annotations

import ipaddress
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated: float


class Buckets:
    def __init__(
        self,
        per_minute: int,
        max_callers: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if per_minute < 1:
            raise ValueError(f"per_minute must be at least 1, got {per_minute}")
        if max_callers < 1:
            raise ValueError(f"max_callers must be at least 1, got {max_callers}")
        self._rate = per_minute / 60.0
        self._capacity = float(per_minute)
        self._refill_seconds = self._capacity / self._rate
        self._max_callers = max_callers
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def allow(self, key: str) -> bool:
        """Takes one token from the caller's bucket; False when it is empty."""
        now = self._clock()
        self._forget_idle(now)
        bucket = self._buckets.pop(key, None) or _Bucket(self._capacity, now)
        bucket.tokens = min(self._capacity, bucket.tokens + (now - bucket.updated) * self._rate)
        bucket.updated = now
        self._buckets[key] = bucket  # most recently seen last
        while len(self._buckets) > self._max_callers:
            self._buckets.popitem(last=False)
        if bucket.tokens < 1:
            return False
        bucket.tokens -= 1
        return True

    def _forget_idle(self, now: float) -> None:
        # ordered by last use, so the idle ones are at the front: amortised O(1) per call
        while self._buckets:
            oldest = next(iter(self._buckets.values()))
            if now - oldest.updated < self._refill_seconds:
                return
            self._buckets.popitem(last=False)


def address_key(host: str | None) -> str:
    """An IPv6 caller controls a whole /64, so its addresses share one bucket; an IPv4 address is its own."""
    if not host:
        return "address:unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return f"address:{host}"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return f"address:{address.ipv4_mapped}"
        return f"address:{ipaddress.ip_network(f'{address}/64', strict=False)}"
    return f"address:{address}"
