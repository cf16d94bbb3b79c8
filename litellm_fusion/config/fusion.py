"""Pydantic model of one fusion model's options, as written in a proxy's `model_list`.

A fusion model is an ordinary `model_list` entry whose `litellm_params.model` starts with `fusion/`;
its fusion options sit next to `model` in `litellm_params`. LiteLLM's own keys (api_key, timeout, ...)
are left to LiteLLM; every other key must be a fusion option, so a typo is an error, not a silent default.
"""

from __future__ import annotations

from enum import Enum
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from .answer_contract import AnswerContract
from .audit import AuditConfig
from .cascade import AcceptConfig, SkipTiersConfig, TierConfig, VerifierConfig, cascade_problems
from .errors import field_problems
from .fusion_modes import PANEL_KEYS, RULES, TIER_KEYS, FusionMode, ModeRules, modes_where, rules_named

__all__ = ["PROVIDER", "FusionConfigError", "FusionMode", "FusionModelConfig", "parse_fusion_params"]

PROVIDER = "fusion"


class JudgeFormat(str, Enum):
    """How the best-of judge is asked for its JSON verdict."""

    JSON_OBJECT = "json_object"  # response_format {"type": "json_object", "schema": ...}
    JSON_SCHEMA = "json_schema"  # response_format {"type": "json_schema", ...} (OpenAI structured outputs)
    NONE = "none"  # no response_format; the verdict is parsed from plain text


# litellm_params keys that belong to LiteLLM, not to us (api_key, timeout, num_retries, prices...).
# They may appear on a fusion deployment and are left to LiteLLM.
_ALWAYS_LITELLM = frozenset({"model", "num_retries", "metadata", "model_info", "weight", "order"})


@lru_cache(maxsize=1)
def litellm_param_names() -> frozenset[str]:
    """Every key LiteLLM itself accepts in `litellm_params` (read from its own pydantic models)."""
    try:
        from litellm.types.router import GenericLiteLLMParams, LiteLLM_Params
    except ImportError:  # pragma: no cover - litellm is a dependency; keep the config layer importable
        return _ALWAYS_LITELLM
    return _ALWAYS_LITELLM | frozenset(LiteLLM_Params.model_fields) | frozenset(GenericLiteLLMParams.model_fields)


class GateConfig(BaseModel):
    """Complexity-gated fusion: per request, the routing classifier decides whether one cheap
    deployment, one strong deployment, or the whole fusion panel answers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cheap: str = Field(description="model_name that answers alone when it is predicted to succeed")
    strong: str = Field(description="model_name that answers alone when the cheap one would not but it would")
    target_p_success: float = Field(
        default=0.85,
        gt=0,
        lt=1,
        description="a single deployment answers when its predicted success is at least this; "
        "otherwise the panel is fused",
    )


class FusionModelConfig(BaseModel):
    """Options of one fusion virtual model (`fusion/<name>` in `model_list`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="the model_name users call, e.g. fusion/debate")
    mode: FusionMode = Field(description="best-of | merge | debate | cascade")
    panel: list[str] = Field(
        default_factory=list,
        validate_default=True,
        description="model_names of this proxy that answer in parallel (best-of, merge, debate)",
    )
    judge: str = Field(
        default="",
        validate_default=True,
        description="model_name of this proxy that picks, merges or settles (best-of, merge, debate)",
    )
    tiers: list[TierConfig] = Field(
        default_factory=list, description="cascade: tiers of model_names, cheapest first (config/cascade.py)"
    )
    accept: AcceptConfig | None = Field(
        default=None, description="cascade: when a tier's answer is accepted (default: agreement of all its answers)"
    )
    verifier: VerifierConfig | None = Field(default=None, description="cascade: the model that rates a tier's answer")
    skip_tiers: SkipTiersConfig | None = Field(
        default=None,
        description="cascade: the prompt classifier starts a "
        "prompt it predicts early tiers fail at a later tier (SkipTiersConfig)",
    )
    rounds: int = Field(default=1, ge=1, le=10, description="debate rounds (round 1 = independent answers)")
    min_panel: int = Field(default=1, ge=1, description="members that must answer for the request to succeed")
    member_timeout: float = Field(default=60.0, gt=0, description="seconds one panel call may take")
    judge_timeout: float = Field(default=60.0, gt=0, description="seconds the judge call may take")
    deadline: float = Field(default=300.0, gt=0, description="seconds the whole fusion request may take")
    quorum: int | None = Field(
        default=None,
        ge=1,
        description="start the judge once this many members answered and "
        "straggler_timeout passed since; the rest are cancelled (not billed: they did not complete)",
    )
    straggler_timeout: float = Field(default=0.0, ge=0, description="seconds to wait after the quorum-th answer")
    max_cost_per_request: float | None = Field(
        default=None,
        gt=0,
        description="dollars: refuse (or shrink the panel, see cost_cap_action) when the "
        "worst-case estimate before fan-out is above it",
    )
    cost_cap_action: Literal["reject", "shrink"] = Field(
        default="reject",
        description="reject: 400 naming estimate and cap; shrink: drop the most expensive "
        "members (never below min_panel) until the estimate fits, else 400",
    )
    agreement_shortcut: bool | None = Field(
        default=None,
        description="skip the judge when every surviving member gives the same answer "
        "(docs/cascades.md: the agreement rule); default: on for best-of (measured lossless), off for merge/debate",
    )
    gate: GateConfig | None = Field(default=None, description="complexity-gated fusion (see GateConfig)")
    answer: AnswerContract | None = Field(
        default=None,
        description="where a member's final answer is and what kind it is, for agreement (cascade acceptance, the "
        "agreement shortcut, debate convergence): {from: auto | json_field:<name> | regex:<pattern>, kind: auto | "
        "letter | number | math | literal | text}; default: inferred per request (config/answer_contract.py)",
    )
    judge_temperature: float = Field(default=0.0, ge=0, le=2)
    judge_max_tokens: int | None = Field(default=None, ge=1, description="cap on the judge's output tokens")
    judge_response_format: JudgeFormat = JudgeFormat.JSON_OBJECT
    judge_cache_ttl: int | Literal["off"] | None = Field(
        default=None,
        description="seconds this model's judge decisions (a cascade's: its verifier's ratings) stay cached, or off; "
        "default: litellm_fusion.judge_cache.ttl",
    )
    audit: AuditConfig | None = Field(
        default=None, description="cascade: live audits of answers its earlier tiers gave (config/audit.py)"
    )
    learn: bool = Field(
        default=False, description="cascade: learn from audits where its cheap tiers suffice (litellm_fusion/learning)"
    )
    return_candidates: bool = Field(
        default=False,
        description="add every member's answer and the per-call breakdown to the reply "
        "(choices[0].message.provider_specific_fields.fusion); off by default: it can be large",
    )

    @field_validator("panel")
    @classmethod
    def _panel_entries(cls, panel: list[str], info: ValidationInfo) -> list[str]:
        if not panel and _needs_panel(info):
            raise ValueError("panel must name at least one model_name")
        for member in panel:
            if not isinstance(member, str) or not member.strip():
                raise ValueError("panel entries must be non-empty model_names")
        return panel

    @field_validator("judge")
    @classmethod
    def _judge_named(cls, judge: str, info: ValidationInfo) -> str:
        if not judge.strip() and _needs_panel(info):
            raise ValueError("judge must be a model_name")
        return judge

    @property
    def rules(self) -> ModeRules:
        return RULES[self.mode]

    @property
    def tiered(self) -> bool:
        """Runs tiers cheapest first (tiers, accept, verifier, ...) instead of a panel and a judge."""
        return self.rules.tiered

    def tier_accept(self, tier: TierConfig) -> AcceptConfig:
        """The acceptance check of a (non-last) tier: its own, else the cascade's, else agreement of all."""
        return tier.accept or self.accept or AcceptConfig(agreement="all")

    @property
    def referenced_models(self) -> list[str]:
        """Every model_name this fusion model calls (panel, judge, tiers, verifier, gate)."""
        names = [*self.panel, *([self.judge] if self.judge else [])]
        names += [m for tier in self.tiers for m in tier.models]
        names += [self.verifier.model] if self.verifier else []
        names += [self.gate.cheap, self.gate.strong] if self.gate else []
        return list(dict.fromkeys(names))

    @property
    def uses_agreement_shortcut(self) -> bool:
        if self.agreement_shortcut is None:
            return self.rules.agreement_shortcut
        return self.agreement_shortcut

    @field_validator("judge_cache_ttl")
    @classmethod
    def _ttl(cls, ttl: int | str | None) -> int | str | None:
        if isinstance(ttl, int) and ttl < 1:
            raise ValueError("judge_cache_ttl must be at least 1 second, or off")
        return ttl

    @model_validator(mode="after")
    def _consistent(self) -> FusionModelConfig:
        if self.tiered:
            return self._consistent_tiers()
        for key in TIER_KEYS:
            if getattr(self, key):
                raise ValueError(
                    f"{key} only applies to mode {modes_where(lambda r: r.tiered)} (mode is {self.mode.value})"
                )
        if self.min_panel > len(self.panel):
            raise ValueError(f"min_panel ({self.min_panel}) is larger than the panel ({len(self.panel)} members)")
        if self.quorum is not None and not self.min_panel <= self.quorum <= len(self.panel):
            raise ValueError(
                f"quorum ({self.quorum}) must be between min_panel ({self.min_panel}) and the panel size ({len(self.panel)})"
            )
        self._check_rounds()
        if self.name in self.panel:
            raise ValueError(f"panel names the fusion model {self.name} itself")
        if self.judge == self.name:
            raise ValueError(f"judge names the fusion model {self.name} itself")
        return self

    def _check_rounds(self) -> None:
        if self.rounds > 1 and not self.rules.rounds:
            raise ValueError(
                f"rounds={self.rounds} only applies to mode {modes_where(lambda r: r.rounds)} (mode is {self.mode.value})"
            )

    def _consistent_tiers(self) -> FusionModelConfig:
        mode = self.mode.value
        for key in PANEL_KEYS:
            if getattr(self, key):
                raise ValueError(f"{key} does not apply to mode {mode} (a {mode} has tiers)")
        self._check_rounds()
        if self.min_panel > 1:
            raise ValueError(f"min_panel does not apply to mode {mode} (a tier escalates when too few answered)")
        problems = cascade_problems(self.tiers, self.accept, self.verifier)
        if problems:
            raise ValueError("; ".join(problems))
        if self.name in self.referenced_models:
            raise ValueError(f"tiers or verifier name the fusion model {self.name} itself")
        return self


def _needs_panel(info: ValidationInfo) -> bool:
    """A panel and a judge are required unless the mode is tiered (or invalid: reported on its own)."""
    rules = rules_named(info.data.get("mode"))
    return rules is not None and not rules.tiered


class FusionConfigError(ValueError):
    """A fusion model's configuration is invalid. The message names the model and the field."""


def _default_mode(fusion_model: str) -> str | None:
    """`fusion/<mode>` (e.g. `fusion/debate`) defaults to that mode."""
    suffix = fusion_model.split("/", 1)[1] if "/" in fusion_model else fusion_model
    return suffix if suffix in {m.value for m in FusionMode} else None


def parse_fusion_params(model_name: str, litellm_params: dict[str, Any]) -> FusionModelConfig:
    """Build the config of one fusion deployment from its `litellm_params`.

    Raises FusionConfigError naming `model_name` and the offending field.
    """
    reserved = litellm_param_names()
    options = {k: v for k, v in litellm_params.items() if k not in reserved}
    if "mode" not in options:
        default = _default_mode(str(litellm_params.get("model", "")))
        if default is not None:
            options["mode"] = default
    rules = rules_named(options.get("mode"))
    if rules is not None and rules.default_rounds > 1:
        options.setdefault("rounds", rules.default_rounds)
    try:
        return FusionModelConfig(name=model_name, **options)
    except ValidationError as exc:
        problems = field_problems(
            exc, "litellm_params", "unknown fusion option (see config.example.yaml for the options)"
        )
        raise FusionConfigError("; ".join(f"fusion model {model_name!r}: {p}" for p in problems)) from None
    except TypeError as exc:  # e.g. a non-mapping value
        raise FusionConfigError(f"fusion model {model_name!r}: {exc}") from None
