"""Complexity-routing benchmarks (`python -m benchmarks routing <question>`): RouterBench pool, modes and classifier
latency (eval), unseen task families and the mixed workload (generalisation), design alternatives (ablations)."""
