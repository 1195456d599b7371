"""Stage 6: refresh a workload from new samples, report the drift, and score a test's fidelity."""
