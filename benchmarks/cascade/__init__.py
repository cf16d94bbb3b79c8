"""Cascade benchmarks (`python -m benchmarks cascade <question>`): quality and cost through a real proxy on recorded
answers (replay) and why it falls short (shortfalls), the answer normaliser on recorded answers (agreement), latency
(latency, timeline, ab). sim.py (the offline simulation that chooses configurations) and baselines.py (always-one,
routers, oracle) are libraries of replay and shortfalls."""
