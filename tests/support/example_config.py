"""config.example.yaml, served by the fake upstream: the shipped example's fusion models, routed group, router and
plugin settings as they are, with every ordinary deployment pointed at the fake upstream at a fixed price (so every
cost is exact). The routed group `auto` gets three deployments of its own upstream names (`auto-mini`, `auto-sonnet`,
`auto-o3`) with the strengths LiteLLM-fusion would give the example's models, so a test can fail one of them alone.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from .helpers import FUSION_WIRING
from .proxy_harness import fake_deployment

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "config.example.yaml"

# upstream model name: ($/input token, $/output token)
PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (1.5e-7, 6e-7),
    "gpt-4o": (2.5e-6, 1e-5),
    "claude-haiku": (8e-7, 4e-6),
    "gemini-flash": (1e-7, 4e-7),
    "auto-mini": (1.5e-7, 6e-7),
    "auto-sonnet": (3e-6, 1.5e-5),
    "auto-o3": (2e-6, 8e-6),
}
# the routed group's deployments, in the example's order, with the strengths of the models they stand for
AUTO = {"auto-mini": 1.8, "auto-sonnet": 2.6, "auto-o3": 3.17}


def example_config(upstream_url: str, callbacks: list[str] | None = None) -> dict[str, Any]:
    """The example config on the fake upstream. `callbacks`: LiteLLM callbacks added after the plugin's, Prometheus
    and the spend-row capture (tests/support/plugins)."""
    config = copy.deepcopy(yaml.safe_load(EXAMPLE.read_text()))
    models: list[dict[str, Any]] = []
    auto = iter(AUTO.items())
    for entry in config["model_list"]:
        params = entry["litellm_params"]
        if str(params["model"]).startswith("fusion/"):
            models.append(entry)
        elif entry["model_name"] == "auto":
            name, strength = next(auto)
            routed = fake_deployment(name, upstream_url, *PRICES[name])
            routed["model_name"] = "auto"
            routed["model_info"]["strength"] = strength
            models.append(routed)
        else:
            name = entry["model_name"]
            models.append(fake_deployment(name, upstream_url, *PRICES[name]))
    config["model_list"] = models
    config["litellm_settings"] = {
        **config["litellm_settings"],
        "callbacks": [*FUSION_WIRING["callbacks"], *(callbacks or [])],
    }
    return config
