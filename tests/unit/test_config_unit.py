"""Fusion config parsing and cross-checks, without a proxy."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from litellm_fusion.config import FusionConfigError, FusionMode, parse_fusion_params
from litellm_fusion.config.validate import fusion_configs

MODELS = [{"model_name": n, "litellm_params": {"model": f"openai/{n}"}} for n in ("a", "b", "j")]


def entry(name: str, **params: Any) -> dict[str, Any]:
    return {"model_name": name, "litellm_params": {"model": name, **params}}


def test_mode_defaults_from_the_model_string_and_debate_defaults_to_two_rounds():
    cfg = parse_fusion_params("fusion/debate", {"model": "fusion/debate", "panel": ["a"], "judge": "j"})
    assert cfg.mode is FusionMode.DEBATE and cfg.rounds == 2 and cfg.min_panel == 1
    cfg = parse_fusion_params(
        "my-fusion", {"model": "fusion/cheap", "mode": "merge", "panel": ["a"], "judge": "j", "timeout": 30}
    )
    assert cfg.mode is FusionMode.MERGE and cfg.rounds == 1


def test_mode_is_required_when_the_name_does_not_say_it():
    with pytest.raises(FusionConfigError, match=r"'fusion/cheap': litellm_params.mode: required"):
        parse_fusion_params("fusion/cheap", {"model": "fusion/cheap", "panel": ["a"], "judge": "j"})


def test_several_fusion_models_coexist():
    configs = fusion_configs(
        [*MODELS, entry("fusion/debate", panel=["a", "b"], judge="j"), entry("fusion/best-of", panel=["a"], judge="b")]
    )
    assert set(configs) == {"fusion/debate", "fusion/best-of"}


@pytest.mark.parametrize(
    "params, message",
    [
        ({"panel": ["a"], "judge": "j", "min_panel": 2}, "min_panel (2) is larger than the panel"),
        ({"mode": "merge", "panel": ["a"], "judge": "j", "rounds": 3}, "rounds=3 only applies to mode debate"),
        ({"panel": ["a"], "judge": "fusion/debate"}, "judge names the fusion model fusion/debate itself"),
        ({"panel": ["a", "fusion/best-of"], "judge": "j"}, "'fusion/best-of' is a fusion model"),
        ({"panel": "a", "judge": "j"}, "litellm_params.panel: Input should be a valid list"),
        ({"panel": ["a"], "judge": "j", "member_timeout": -1}, "litellm_params.member_timeout"),
    ],
)
def test_bad_configs_name_model_and_field(params: dict[str, Any], message: str):
    with pytest.raises(FusionConfigError) as info:
        fusion_configs([*MODELS, entry("fusion/best-of", panel=["a"], judge="j"), entry("fusion/debate", **params)])
    assert "fusion model 'fusion/debate'" in str(info.value)
    assert message in str(info.value)


def test_all_problems_are_reported_at_once():
    with pytest.raises(FusionConfigError) as info:
        fusion_configs([*MODELS, entry("fusion/debate", panel=["x"], judge="y")])
    assert "panel[0]: 'x'" in str(info.value) and "judge: 'y'" in str(info.value)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["mode", "panel", "judge", "rounds", "min_panel", "deadline", "member_timeout", "bogus"]),
        st.one_of(
            st.none(),
            st.integers(-3, 5),
            st.floats(allow_nan=True),
            st.text(max_size=8),
            st.lists(st.sampled_from(["a", "b", "j", "zz", ""]), max_size=4),
        ),
    )
)
def test_any_params_give_a_valid_config_or_a_clear_error(params: dict[str, Any]):
    try:
        configs = fusion_configs([*MODELS, entry("fusion/debate", **params)])
    except FusionConfigError as exc:
        assert "fusion/debate" in str(exc)
    else:
        cfg = configs["fusion/debate"]
        assert cfg.panel and all(m in {"a", "b", "j"} for m in cfg.panel) and cfg.judge in {"a", "b", "j"}
        assert 1 <= cfg.min_panel <= len(cfg.panel) and cfg.rounds >= 1


def test_routing_modes_and_numeric_price_weight():
    from litellm_fusion.config.settings import parse_settings

    settings = parse_settings({"routing": {"a": {"mode": "cost"}, "b": {"mode": 2}, "c": {}, "d": {"mode": "0.3"}}})
    assert settings.routing["a"].price_weight == 0.2 and settings.routing["b"].price_weight == 2.0
    assert settings.routing["c"].mode_name == "balanced" and settings.routing["c"].price_weight == 0.1
    assert settings.routing["d"].price_weight == 0.3 and settings.routing["d"].mode_name == "price_weight=0.3"
    for bad in ({"mode": 11}, {"mode": -0.1}, {"mode": "cheap"}, {"mode": True}, {"bogus": 1}):
        with pytest.raises(ValueError, match="litellm_fusion.routing.x"):
            parse_settings({"routing": {"x": bad}})


def test_both_config_surfaces_word_their_errors_alike():
    """One formatter (config/errors.py): list items as [i], no union-member tags, `required`, the unknown key."""
    from litellm_fusion.config.settings import parse_settings

    with pytest.raises(FusionConfigError) as info:
        parse_fusion_params("f", {"model": "fusion/best-of", "panel": ["a"], "judge": "j", "judge_cache_ttl": "x"})
    assert "litellm_params.judge_cache_ttl: Input should be a valid integer" in str(info.value)
    assert "judge_cache_ttl.int" not in str(info.value)
    with pytest.raises(FusionConfigError, match=r"litellm_params\.gate\.strong: required"):
        parse_fusion_params("f", {"model": "fusion/best-of", "panel": ["a"], "judge": "j", "gate": {"cheap": "a"}})
    with pytest.raises(ValueError, match=r"litellm_fusion\.routing\.g\.caller_may_set\[0\]: Input should be"):
        parse_settings({"routing": {"g": {"caller_may_set": ["zz"]}}})
    with pytest.raises(ValueError, match=r"litellm_fusion\.learning\.nope: unknown option"):
        parse_settings({"learning": {"nope": 1}})
