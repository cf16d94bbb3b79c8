"""Fusion benchmarks (`python -m benchmarks fusion <question>`): the plugin's own overhead (overhead, streaming), the
judge cache, quorum and straggler cutoff, the agreement short-circuit and complexity-gated fusion on recorded
answers (agreement, gated), and the soak under faults (soak)."""
