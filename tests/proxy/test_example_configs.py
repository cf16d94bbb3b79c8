"""config.example.yaml and the demo config stay true: they validate, and the example starts a real proxy."""

from __future__ import annotations

from pathlib import Path

import httpx
import openai
import pytest
import yaml

from litellm_fusion.config.validate import fusion_configs
from tests.support.proxy_fleet import Fleet

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("path", ["config.example.yaml", "demo/config.yaml"])
def test_shipped_configs_validate(path: str):
    config = yaml.safe_load((ROOT / path).read_text())
    configs = fusion_configs(config["model_list"])
    assert {"fusion/debate", "fusion/best-of", "fusion/merge"} <= set(configs)
    wiring = config["litellm_settings"]
    assert wiring["custom_provider_map"] == [{"provider": "fusion", "custom_handler": "litellm_fusion.fusion_handler"}]
    assert "litellm_fusion.fusion_callbacks" in wiring["callbacks"]


def fleet_proxies(fleet: Fleet) -> None:
    config = yaml.safe_load((ROOT / "config.example.yaml").read_text())
    keys = {"OPENAI_API_KEY": "sk-test", "ANTHROPIC_API_KEY": "sk-ant-test", "GEMINI_API_KEY": "test"}
    fleet.add("example", config, spend_log=False, env=keys)


def test_example_config_starts_a_real_proxy(fleet: Fleet):
    with fleet.lease("example") as proxy:
        models = httpx.get(
            f"{proxy.base_url}/v1/models", headers={"Authorization": f"Bearer {proxy.master_key}"}, timeout=10
        ).json()
        names = {m["id"] for m in models["data"]}
        assert {"fusion/best-of", "fusion/merge", "fusion/debate", "fusion/best-of-cheap"} <= names
        client = openai.OpenAI(base_url=proxy.base_url, api_key=proxy.master_key, max_retries=0)
        with pytest.raises(openai.BadRequestError, match="'n'"):
            client.chat.completions.create(model="fusion/debate", messages=[{"role": "user", "content": "x"}], n=3)
