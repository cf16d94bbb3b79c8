"""`litellm-fusion classify` reads JSON lines and writes one scored line per input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

BIN = Path(sys.executable).parent / "litellm-fusion"
HARD = "Prove that there are infinitely many primes of the form 4k+3, then implement a segmented sieve in C++ and analyse it."
CONFIG = {
    "model_list": [
        {"model_name": "auto", "litellm_params": {"model": "openai/gpt-4o-mini"}},
        {"model_name": "auto", "litellm_params": {"model": "openai/o3"}},
    ],
    "litellm_fusion": {"routing": {"auto": {"mode": "balanced"}}},
}
RUNS = {  # name: (input lines, extra arguments)
    "prompts": (
        [
            json.dumps({"prompt": "hi"}),
            json.dumps({"messages": [{"role": "user", "content": "Prove Fermat's little theorem rigorously."}]}),
        ],
        (),
    ),
    "config": (
        [json.dumps({"prompt": "hi"}), json.dumps({"prompt": HARD})],
        ("--config", "{config}", "--mode", "balanced"),
    ),
    "bad-line": (['{"nothing": 1}', "[1, 2]", json.dumps({"prompt": "hi"})], ()),
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, subprocess.CompletedProcess[str]]:
    """Every test's command, started together (each spends ~7 s of CPU importing LiteLLM before it reads its input)."""
    path = tmp_path_factory.mktemp("cli") / "config.yaml"
    path.write_text(yaml.safe_dump(CONFIG))
    started = {}
    for name, (_, args) in RUNS.items():
        argv = [str(BIN), "classify", *(a.format(config=path) for a in args)]
        started[name] = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
    done = {}
    try:
        for name, proc in started.items():
            out, err = proc.communicate("\n".join(RUNS[name][0]) + "\n", timeout=120)
            done[name] = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    finally:
        for proc in started.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait(5)
    return done


def test_classify_prompts_and_messages(runs):
    done = runs["prompts"]
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(out) == 2 and out[0]["difficulty"] < out[1]["difficulty"]
    assert all(o["classifier_us"] > 0 for o in out)
    assert "classifying" in done.stderr, "progress bar on stderr"


def test_classify_with_a_config_names_the_deployment(runs):
    done = runs["config"]
    assert done.returncode == 0, done.stderr
    easy_out, hard_out = (json.loads(line) for line in done.stdout.splitlines())
    assert easy_out["deployment"] == "openai/gpt-4o-mini" and hard_out["deployment"] == "openai/o3"
    assert hard_out["mode"] == "balanced" and set(hard_out["p_success"]) == {"openai/gpt-4o-mini", "openai/o3"}


def test_bad_line_is_reported_not_fatal(runs):
    done = runs["bad-line"]
    assert done.returncode == 1
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert "error" in out[0] and "error" in out[1] and "difficulty" in out[2]


def test_classify_without_a_config_does_not_load_litellm():
    """Scoring prompts needs only the classifier: LiteLLM (seconds to import) loads only for --config."""
    code = (
        "import io, sys; from litellm_fusion.cli import classify; out = io.StringIO(); "
        'classify(io.StringIO(\'{"prompt": "hi"}\\n\'), out, None, None, None); '
        "print(json.dumps([json.loads(out.getvalue())['slope'] > 0, 'litellm' in sys.modules]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", "import json; " + code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout) == [True, False]
