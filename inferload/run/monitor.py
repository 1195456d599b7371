"""Sample the target's resources while the load runs, on the same clock as the load.

Two sources for the target, either or both: a local process (psutil: CPU, resident memory,
threads, open file descriptors) and a Prometheus text endpoint (every sample of every family,
counters raw: the analysis turns `_total` counters into rates). And always the load generator
itself: the engine's CPU (its process and children, in % of one core) and the machine's (in % of
all its cores). The target is on this machine (load goes to loopback only), so when the two
compete for CPU the latencies measured include the generator's own queuing, and the analysis
must say so. Rows go to resources.jsonl as `{"t": epoch_s, "source": ..., "metric": ...,
"value": ...}` so a crash mid-run keeps what was sampled. The sampler lives exactly as long as
the run, so its loop is bounded by the run's.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO

import psutil
from prometheus_client.parser import text_string_to_metric_families

from inferload.errors import ErrorKind, InferloadError, Location
from inferload.run.manifest import ENGINE, MACHINE

_SCRAPE_TIMEOUT_S = 2.0


def check_pid(pid: int) -> None:
    if not psutil.pid_exists(pid):
        raise InferloadError(
            ErrorKind.INVALID, f"no process with pid {pid}", location=Location("--target-pid")
        )


class ResourceSampler:
    """A background thread writing one batch of samples per interval until stopped."""

    def __init__(
        self, out: Path, *, pid: int | None, metrics_url: str | None, interval_s: float = 1.0
    ) -> None:
        self._out = out
        self._process = psutil.Process(pid) if pid is not None else None
        self._metrics_url = metrics_url
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="resource-sampler", daemon=True)
        self._engine: psutil.Process | None = None  # the engine's own process
        self._generator: dict[int, psutil.Process] = {}  # it and its children, by pid
        self.scrape_failures = 0

    @property
    def sources(self) -> tuple[str, ...]:
        named = []
        if self._process is not None:
            named.append(f"pid {self._process.pid}")
        if self._metrics_url:
            named.append(self._metrics_url)
        return tuple(named)

    def start(self, generator_pid: int) -> None:
        """Start sampling, the engine (`generator_pid`) and the machine always."""
        if self._process is not None:
            self._process.cpu_percent(None)  # the first reading only sets the baseline
        psutil.cpu_percent(None)
        self._watch(generator_pid)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        with self._out.open("a") as sink:
            while not self._stop.wait(self._interval_s):
                now = time.time()
                self._sample_generator(sink, now)
                if self._process is not None:
                    self._sample_process(sink, now)
                if self._metrics_url:
                    self._scrape(sink, now)
                sink.flush()

    def _sample_process(self, sink: IO[str], now: float) -> None:
        process = self._process
        assert process is not None
        try:
            with process.oneshot():
                values = {
                    "cpu_percent": process.cpu_percent(None),
                    "rss_bytes": float(process.memory_info().rss),
                    "threads": float(process.num_threads()),
                    "open_fds": float(process.num_fds()),
                }
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            self._process = None  # the target went away: keep what was sampled
            return
        for metric, value in values.items():
            _write(sink, now, "process", metric, value)

    def _watch(self, pid: int) -> None:
        try:
            self._engine = psutil.Process(pid)
            self._engine.cpu_percent(None)  # the first reading only sets the baseline
            self._generator = {pid: self._engine}
        except psutil.Error:
            self._engine, self._generator = None, {}

    def _generator_tree(self) -> list[psutil.Process]:
        """The engine's process and its children, the same objects from one sample to the next
        (a process's CPU is measured between two readings of the same object)."""
        if self._engine is not None:
            try:
                for child in self._engine.children(recursive=True):
                    if child.pid not in self._generator:
                        self._generator[child.pid] = child
                        child.cpu_percent(None)
            except psutil.Error:
                pass
        return list(self._generator.values())

    def _sample_generator(self, sink: IO[str], now: float) -> None:
        total = 0.0
        for process in self._generator_tree():
            try:
                total += process.cpu_percent(None)
            except psutil.Error:
                del self._generator[process.pid]
        if self._generator:
            _write(sink, now, ENGINE, "cpu_percent", total)
        _write(sink, now, MACHINE, "cpu_percent", psutil.cpu_percent(None))

    def _scrape(self, sink: IO[str], now: float) -> None:
        assert self._metrics_url is not None
        try:
            with urllib.request.urlopen(self._metrics_url, timeout=_SCRAPE_TIMEOUT_S) as answer:  # noqa: S310 (loopback-checked by the runner)
                text = answer.read(8_000_000).decode("utf-8", "replace")
            families = list(text_string_to_metric_families(text))
        except (OSError, urllib.error.URLError, ValueError):
            self.scrape_failures += 1
            return
        for family in families:
            for sample in family.samples:
                labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
                name = f"{sample.name}{{{labels}}}" if labels else sample.name
                _write(sink, now, "prometheus", name, float(sample.value))


def _write(sink: IO[str], now: float, source: str, metric: str, value: float) -> None:
    sink.write(json.dumps({"t": round(now, 3), "source": source, "metric": metric, "value": value}))
    sink.write("\n")
