"""`litellm-fusion classify` reads JSON lines and writes one scored line per input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

BIN = Path(sys.executable).parent / "litellm-fusion"


def run(lines: list[str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN), "classify", *args], input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=120)


def test_classify_prompts_and_messages():
    done = run([json.dumps({"prompt": "hi"}), json.dumps({"messages": [{"role": "user", "content": "Prove Fermat's little theorem rigorously."}]})])
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(out) == 2 and out[0]["difficulty"] < out[1]["difficulty"]
    assert all(o["classifier_us"] > 0 for o in out)
    assert "classifying" in done.stderr, "progress bar on stderr"


def test_classify_with_a_config_names_the_deployment(tmp_path: Path):
    config = {
        "model_list": [
            {"model_name": "auto", "litellm_params": {"model": "openai/gpt-4o-mini"}},
            {"model_name": "auto", "litellm_params": {"model": "openai/o3"}},
        ],
        "litellm_fusion": {"routing": {"auto": {"mode": "balanced"}}},
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    hard = "Prove that there are infinitely many primes of the form 4k+3, then implement a segmented sieve in C++ and analyse it."
    done = run([json.dumps({"prompt": "hi"}), json.dumps({"prompt": hard})], "--config", str(path), "--mode", "balanced")
    assert done.returncode == 0, done.stderr
    easy_out, hard_out = (json.loads(line) for line in done.stdout.splitlines())
    assert easy_out["deployment"] == "openai/gpt-4o-mini" and hard_out["deployment"] == "openai/o3"
    assert hard_out["mode"] == "balanced" and set(hard_out["p_success"]) == {"openai/gpt-4o-mini", "openai/o3"}


def test_bad_line_is_reported_not_fatal():
    done = run(["{\"nothing\": 1}", "[1, 2]", json.dumps({"prompt": "hi"})])
    assert done.returncode == 1
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert "error" in out[0] and "error" in out[1] and "difficulty" in out[2]
