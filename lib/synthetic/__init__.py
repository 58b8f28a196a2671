"""The synthetic part: S23's generator, benchmark runs, the critical-review experiments, metric
learning and explanations on synthetic classes."""
