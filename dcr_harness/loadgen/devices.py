"""Device identities for load runs: each worker its own, so that a device's requests come from one worker.

The throttle is per device, and the throttling profile predicts each device's answers from the
requests it sent itself: a device two workers shared would be refused for what the other worker
sent, and the prediction would be wrong. Devices are addresses of the benchmarking range
(DEVICE_NETWORK). The run's offset (the master's, which Locust sends to every worker with its
custom options) places the run in the range, and the worker with index i takes the addresses
offset + i + k * stride, k = 1, 2, ...: disjoint for worker indexes below the stride (at least
DEVICE_STRIDE, at least the workers the master expects). A single process is worker 0 of stride 1.
"""

from __future__ import annotations

from ..http.session import DEVICE_NETWORK

DEVICE_STRIDE = 64


def stride_for(expect_workers: int) -> int:
    return max(DEVICE_STRIDE, expect_workers)


def device_address(offset: int, worker_index: int, k: int, stride: int) -> str:
    """The k-th device (k >= 1) of the worker with this index."""
    slot = worker_index % stride
    return str(DEVICE_NETWORK[(offset + slot + k * stride) % DEVICE_NETWORK.num_addresses])


def devices_per_worker(stride: int) -> int:
    """How many devices a worker takes before its addresses repeat."""
    return DEVICE_NETWORK.num_addresses // stride


__all__ = ["DEVICE_STRIDE", "device_address", "devices_per_worker", "stride_for"]
