"""Console output of `refresh`, `diff` and `compare`."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from inferload.refresh.drift import Drift
from inferload.refresh.fidelity import LIMITS, Fidelity


def print_drift(console: Console, drift: Drift) -> None:
    judged = f"{drift.tests} comparisons, |z| >= {drift.critical_z:.2f} to count (samples: {drift.old_sessions} -> {drift.new_sessions} sessions)"
    if not drift.changes:
        console.print(f"No change beyond sampling noise ({judged}).")
        return
    table = Table(title=f"Drift: {judged}", show_lines=False)
    for column in ("", "kind", "change", "z"):
        table.add_column(column)
    for change in drift.changes:
        table.add_row("DRIFT" if change.drift else "minor", change.kind, change.detail,
                      f"{change.z:+.1f}" if change.z is not None else "-")  # fmt: skip
    console.print(table)
    drifted = sum(change.drift for change in drift.changes)
    console.print(
        f"{drifted} change(s) beyond tolerance"
        if drifted
        else "within tolerance: only minor changes"
    )


def print_fidelity(console: Console, fidelity: Fidelity) -> None:
    table = Table(
        title=f"Fidelity: {fidelity.test_sessions} test sessions against {fidelity.production_sessions} production sessions"
    )
    for column in ("measure", "distance", "faithful at most", "approximate at most"):
        table.add_column(column)
    rows = [("operation mix (total variation)", fidelity.operation_mix_tv, "operation_mix_tv"),
            ("persona mix (total variation)", fidelity.persona_mix_tv, "persona_mix_tv"),
            ("session length (KS)", fidelity.session_length_ks, "session_length_ks"),
            ("think time (KS)", fidelity.think_time_ks, "think_time_ks")]  # fmt: skip
    for label, value, key in rows:
        if value is not None:
            table.add_row(label, f"{value:.3f}", f"{LIMITS[key][0]:.2f}", f"{LIMITS[key][1]:.2f}")
    console.print(table)
    if fidelity.persona_mix:
        mix = ", ".join(
            f"{name} {prod:.0%} vs {test:.0%}"
            for name, (prod, test) in fidelity.persona_mix.items()
        )
        console.print(f"personas (production vs test): {mix}", markup=False)
    console.print("most divergent transitions (production vs test):")
    for row in fidelity.top_transitions[:5]:
        console.print(
            f"  {row.source} -> {row.target}: {row.production:.0%} vs {row.test:.0%}", markup=False
        )
    console.print(f"verdict: {fidelity.verdict}")
