"""The service's own resources in Prometheus text format, for monitoring during a test."""

from __future__ import annotations

import os
import time

import psutil

from examples.lms.db import Pool


class Metrics:
    def __init__(self, pool: Pool) -> None:
        self.pool = pool
        self.process = psutil.Process(os.getpid())
        self.started = time.time()

    def render(self) -> str:
        cpu = self.process.cpu_times()
        memory = self.process.memory_info()
        pool = self.pool
        lines = [
            "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.",
            "# TYPE process_cpu_seconds_total counter",
            f"process_cpu_seconds_total {cpu.user + cpu.system:.3f}",
            "# HELP process_resident_memory_bytes Resident memory size in bytes.",
            "# TYPE process_resident_memory_bytes gauge",
            f"process_resident_memory_bytes {memory.rss}",
            "# HELP process_threads Threads of the server process.",
            "# TYPE process_threads gauge",
            f"process_threads {self.process.num_threads()}",
            "# HELP lms_db_pool_size Connections in the database pool.",
            "# TYPE lms_db_pool_size gauge",
            f"lms_db_pool_size {pool.size}",
            "# HELP lms_db_pool_in_use Connections checked out now.",
            "# TYPE lms_db_pool_in_use gauge",
            f"lms_db_pool_in_use {pool.in_use}",
            "# HELP lms_db_pool_waiting Requests waiting for a connection now.",
            "# TYPE lms_db_pool_waiting gauge",
            f"lms_db_pool_waiting {pool.waiting}",
            "# HELP lms_db_pool_wait_seconds_total Time spent waiting for connections.",
            "# TYPE lms_db_pool_wait_seconds_total counter",
            f"lms_db_pool_wait_seconds_total {pool.wait_seconds_total:.6f}",
            "# HELP lms_db_pool_acquired_total Connections handed out.",
            "# TYPE lms_db_pool_acquired_total counter",
            f"lms_db_pool_acquired_total {pool.acquired_total}",
            "# HELP lms_db_pool_timeouts_total Requests that gave up waiting (answered 503).",
            "# TYPE lms_db_pool_timeouts_total counter",
            f"lms_db_pool_timeouts_total {pool.timeouts_total}",
        ]
        return "\n".join(lines) + "\n"
