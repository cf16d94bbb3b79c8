"""Benchmarks of litellm-fusion: one entry point per question, `python -m benchmarks <area> <question> [args]`
(run without arguments for the list; benchmarks/__main__.py). Areas are subpackages (cascade/, routing/, fusion/);
the pieces they share are in harness/ (the replay harness: recorded answers of real models through a real
proxy). Results and the commands that produced them: benchmarks/RESULTS.md.
"""
