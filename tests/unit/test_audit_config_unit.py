"""The `audit` and `learn` options of cascades and routed groups: parsed, defaulted, and refused naming the field."""

from __future__ import annotations

from typing import Any

import pytest

from litellm_fusion.adapter.startup import validate_settings
from litellm_fusion.config import FusionConfigError
from litellm_fusion.config.routing import RoutingConfigError
from litellm_fusion.config.validate import fusion_configs

MODELS = [{"model_name": n, "litellm_params": {"model": f"openai/{n}"}} for n in ("a", "b", "s", "j")]
SAME_AS_S = {"model_name": "s-elsewhere", "litellm_params": {"model": "azure/s"}}
GROUP = [
    {
        "model_name": "auto",
        "litellm_params": {"model": f"openai/{n}"},
        "model_info": {"strength": strength, "input_cost_per_token": 1e-7, "output_cost_per_token": 2e-7},
    }
    for n, strength in (("g-cheap", 1.0), ("g-strong", 3.0))
]


def cascade(**options: Any) -> dict[str, Any]:
    return {
        "model_name": "fusion/cascade",
        "litellm_params": {"model": "fusion/cascade", "tiers": [["a", "b"], ["s"]], **options},
    }


def test_audit_and_learn_parse_and_default_off():
    config = fusion_configs(
        [*MODELS, cascade(audit={"rate": 0.05, "max_disagreement": 0.03, "judge": "j"}, learn=True)]
    )
    cfg = config["fusion/cascade"]
    assert cfg.audit is not None and (cfg.audit.rate, cfg.audit.max_disagreement, cfg.audit.judge) == (0.05, 0.03, "j")
    assert cfg.learn is True and cfg.audit.billing_key is None
    plain = fusion_configs([*MODELS, cascade()])["fusion/cascade"]
    assert plain.audit is None and plain.learn is False


@pytest.mark.parametrize(
    "options, message",
    [
        ({"audit": {"rate": 1.5}}, "litellm_params.audit.rate: Input should be less than or equal to 1"),
        ({"audit": {"rate": -0.1}}, "litellm_params.audit.rate: Input should be greater than or equal to 0"),
        ({"audit": {}}, "litellm_params.audit.rate: required"),
        ({"audit": {"rate": 0.1, "max_disagreement": 0}}, "litellm_params.audit.max_disagreement"),
        ({"audit": {"rate": 0.1, "sample": 3}}, "litellm_params.audit.sample: unknown fusion option"),
        ({"audit": {"rate": 0.1, "judge": "nope"}}, "litellm_params.audit.judge: 'nope' is not a model_name"),
        ({"audit": {"rate": 0.1, "judge": "s"}}, "litellm_params.audit.judge: 's' is the audited arm 's'"),
        ({"audit": {"rate": 0.1, "judge": "a"}}, "litellm_params.audit.judge: 'a' is the audited arm 'a'"),
        (
            {"audit": {"rate": 0.1, "judge": "s-elsewhere"}},
            "litellm_params.audit.judge: 's-elsewhere' calls the same model (s) as the audited arm 's'",
        ),
        ({"learn": "sometimes"}, "litellm_params.learn: Input should be a valid boolean"),
    ],
)
def test_bad_audit_options_name_the_model_and_field(options: dict[str, Any], message: str):
    with pytest.raises(FusionConfigError) as info:
        fusion_configs([*MODELS, SAME_AS_S, cascade(**options)])
    assert "fusion model 'fusion/cascade'" in str(info.value) and message in str(info.value)


def test_audit_and_learn_only_apply_to_cascades():
    for options in ({"audit": {"rate": 0.1}}, {"learn": True}):
        entry = {
            "model_name": "fusion/best-of",
            "litellm_params": {"model": "fusion/best-of", "panel": ["a"], "judge": "j", **options},
        }
        with pytest.raises(FusionConfigError, match="only applies to mode cascade"):
            fusion_configs([*MODELS, entry])


def test_a_routed_group_takes_audit_and_learn():
    settings = validate_settings(
        {"routing": {"auto": {"audit": {"rate": 0.2, "judge": "j"}, "learn": True}}}, [*MODELS, *GROUP]
    )
    group = settings.routing["auto"]
    assert group.audit is not None and group.audit.rate == 0.2 and group.learn is True


@pytest.mark.parametrize(
    "group, deployments, message",
    [
        (
            {"audit": {"rate": 2}},
            GROUP,
            "litellm_fusion.routing.auto.audit.rate: Input should be less than or equal to 1",
        ),
        ({"learn": True}, GROUP[:1], "litellm_fusion.routing.auto.learn: the group has 1 deployment"),
        ({"audit": {"rate": 0.1}}, GROUP[:1], "litellm_fusion.routing.auto.audit: the group has 1 deployment"),
        (
            {"audit": {"rate": 0.1, "judge": "zz"}},
            GROUP,
            "litellm_fusion.routing.auto.audit.judge: 'zz' is not a model_name",
        ),
        (
            {"audit": {"rate": 0.1, "judge": "auto"}},
            GROUP,
            "litellm_fusion.routing.auto.audit.judge: 'auto' is the audited arm",
        ),
    ],
)
def test_bad_routed_group_audit_options_name_the_field(group: dict[str, Any], deployments: list, message: str):
    with pytest.raises(RoutingConfigError) as info:
        validate_settings({"routing": {"auto": group}}, [*MODELS, *deployments])
    assert message in str(info.value)


def test_a_judge_sharing_a_provider_model_with_a_group_deployment_is_refused():
    twin = {"model_name": "judge", "litellm_params": {"model": "other/g-strong"}}
    with pytest.raises(RoutingConfigError, match="calls the same model \\(g-strong\\) as the audited arm 'auto'"):
        validate_settings({"routing": {"auto": {"audit": {"rate": 0.1, "judge": "judge"}}}}, [*MODELS, twin, *GROUP])
