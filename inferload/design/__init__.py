"""Stage 4a: workload + targets -> load profiles and thresholds (what the emitters render)."""
