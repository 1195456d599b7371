"""Was the load generator itself short of CPU? Then the levels from there up measured it too.

Load goes to loopback only, so the engine and the target share this machine's cores. A request
that waits for the engine's own CPU (to build, send, or read it) is timed as if the target were
slow, and arrivals fall behind schedule: latency rises and throughput flattens at a level where
the target may still have room. That looks exactly like a knee. Two signs, per level:
- the machine's CPU at 90% of all its cores or more, a quarter of it or more the engine's: the
  engine is a real competitor for the CPU, not a light process the scheduler serves at once (a
  target that fills the machine by itself, beside an engine at 5% of a core, is the target's
  limit: its own resources tell that story);
- Artillery's engine at 90% of one core or more: Node runs the virtual users on one thread, so
  one core is its ceiling, whatever the machine has left (k6 spreads over every core, so for it
  the machine's figure decides).
"""

from __future__ import annotations

from dataclasses import dataclass

from inferload.analyse.advice import Recommendation
from inferload.analyse.levels import Level
from inferload.analyse.scalability import Knee
from inferload.run.manifest import RunManifest
from inferload.templating import figure

SATURATED_PERCENT = 90.0
ENGINE_SHARE = 0.25  # of the machine's CPU in use: the engine competes with the target for it


@dataclass(frozen=True, slots=True)
class Saturation:
    level: Level  # the first level where the generator was short of CPU
    machine: bool  # the machine's CPU (else the engine's own thread)


def generator_saturation(levels: list[Level], tool: str, cores: int) -> Saturation | None:
    """The first level (in the order given) where the generator ran short of CPU."""
    for level in levels:
        machine, engine = level.machine_cpu_percent or 0.0, level.engine_cpu_percent or 0.0
        if machine >= SATURATED_PERCENT and engine >= ENGINE_SHARE * machine * cores:
            return Saturation(level, machine=True)
        if tool == "artillery" and engine >= SATURATED_PERCENT:
            return Saturation(level, machine=False)
    return None


def past_knee(short_from_level: int, knee_level: int | None) -> bool:
    """Whether the generator ran short only past the knee: then the knee stands."""
    return knee_level is not None and short_from_level > knee_level


def generator_advice(saturation: Saturation, knee: Knee | None, run: RunManifest) -> Recommendation:
    level = saturation.level
    at = f"level {level.index + 1} ({figure(level.offered_per_s)} sessions/s)"
    engine = (
        f"{level.engine_cpu_percent:.0f}% of one core"
        if level.engine_cpu_percent is not None
        else "unknown"
    )
    cores = f" of its {run.host_cpus} cores" if run.host_cpus else ""
    knee_note = (
        f"; the knee at {figure(knee.offered_per_s)} sessions/s lies in that range, so it may be this "
        "machine's limit rather than the target's"
        if knee is not None and not past_knee(level.index, knee.level)
        else ""
    )
    if saturation.machine:
        return Recommendation(
            f"Give the load generator CPU of its own before trusting the results from {at} up: run "
            "the engine and the target on separate cores (on Linux, `taskset -c` for each, or the "
            "target in a container with a CPU limit) and rerun.",
            f"at {at} the machine's CPU was {level.machine_cpu_percent:.0f}%{cores}, {run.tool}'s "
            f"{engine}: engine and target competed for it, and the latency measured from there "
            f"up includes the engine's own waiting{knee_note}.",
        )  # fmt: skip
    return Recommendation(
        f"Split the load before trusting the results from {at} up: Artillery runs its virtual "
        "users on one Node thread and had used all of it. Run the k6 script for these levels, or "
        "several Artillery processes at a share of the rate each.",
        f"at {at} Artillery used {engine} (the machine {level.machine_cpu_percent or 0:.0f}%{cores}): "
        f"arrivals fell behind and responses waited to be read{knee_note}.",
    )  # fmt: skip
