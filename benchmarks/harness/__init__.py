"""What the benchmarks share: paths (where the repo and the recorded data are), processes (the fake upstream in a
process of its own, the plugin as it was at a git revision), stats (percentiles, table cells) and replay (the
replay harness: recorded answers of real models served through a real LiteLLM proxy)."""
