"""Pydantic models of a cascade's options: its tiers and how a tier's answer is accepted.

```yaml
tiers:                                  # cheapest first; the last tier's answer is always accepted
  - [gpt-4o-mini, gemini-flash]         # short form: model_names
  - {models: [llama-8b], samples: 3, sample_temperature: 0.7, accept: {agreement: 2}}
  - [gpt-4o]
accept: agreement                       # default check of every tier but the last (see AcceptConfig)
verifier: {model: gpt-4o-mini, threshold: 0.7}
skip_tiers: {target_p_success: 0.3}     # optional: the prompt classifier starts hard prompts at a later tier
```
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

DEFAULT_SAMPLE_TEMPERATURE = 0.7


class VerifierConfig(BaseModel):
    """A judge model that rates a tier's answer against the request (0 to 10, read as 0 to 1)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = Field(description="model_name of this proxy that rates the answer")
    threshold: float = Field(default=0.7, gt=0, le=1, description="accept when the rating / 10 is at least this")
    timeout: float = Field(default=30.0, gt=0, description="seconds the verifier call may take")
    max_tokens: int | None = Field(default=None, ge=1, description="cap on the verifier's output tokens")


class SkipTiersConfig(BaseModel):
    """Classifier skip: the cascade starts at the first tier whose strongest model the routing classifier
    predicts answers the prompt with at least `target_p_success` (the last tier always qualifies). Tiers before
    it are skipped: no calls, no latency. Off by default (docs/cascades.md, for what it measured)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    target_p_success: float = Field(
        gt=0,
        lt=1,
        description="a tier runs only when its strongest model's predicted success on the prompt is at least this",
    )


class AcceptConfig(BaseModel):
    """When a tier's answer is accepted. Forms: `agreement`, `verifier`, `[agreement, verifier]`, or a mapping.

    An answer that is empty, a refusal, cut off (finish_reason length) or carries invalid tool-call JSON is
    never accepted, whatever the checks say; a tier whose members all failed escalates."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    agreement: int | Literal["all"] | None = Field(
        default=None,
        description="at least k answers of the tier agree (docs/cascades.md: the agreement rule); "
        "all = every call of the tier answered and all agree",
    )
    verifier: bool = Field(default=False, description="the cascade's `verifier` rates the tier's answer")
    combine: Literal["all", "any"] = Field(default="all", description="with both checks: all must pass, or any")

    @model_validator(mode="before")
    @classmethod
    def _forms(cls, value: Any) -> Any:
        names = [value] if isinstance(value, str) else value
        if isinstance(names, list):
            unknown = [n for n in names if n not in ("agreement", "verifier")]
            if unknown or not names:
                raise ValueError(f"accept must be agreement, verifier, a list of them or a mapping, got {value!r}")
            return {"agreement": "all" if "agreement" in names else None, "verifier": "verifier" in names}
        return value

    @field_validator("agreement")
    @classmethod
    def _k(cls, k: int | str | None) -> int | str | None:
        if isinstance(k, int) and k < 2:
            raise ValueError("agreement must be at least 2 answers (or all)")
        return k

    @model_validator(mode="after")
    def _some_check(self) -> AcceptConfig:
        if self.agreement is None and not self.verifier:
            raise ValueError("accept needs agreement, verifier or both")
        return self

    def needed(self, calls: int) -> int | None:
        """How many agreeing answers a tier of `calls` calls needs (None: agreement is not checked)."""
        if self.agreement is None:
            return None
        return calls if self.agreement == "all" else int(self.agreement)


class TierConfig(BaseModel):
    """One tier: model_names that answer in parallel (each `samples` times)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    models: list[str] = Field(description="model_names of this proxy")
    samples: int = Field(default=1, ge=1, le=10, description="answers asked of each model (self-consistency)")
    sample_temperature: float | None = Field(
        default=None,
        ge=0,
        le=2,
        description=f"temperature of the samples when samples > 1 "
        f"(default {DEFAULT_SAMPLE_TEMPERATURE}; a request's own temperature is kept when it is higher)",
    )
    accept: AcceptConfig | None = Field(default=None, description="overrides the cascade's `accept` for this tier")

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, value: Any) -> Any:
        return {"models": value} if isinstance(value, list) else value

    @field_validator("models")
    @classmethod
    def _models(cls, models: list[str]) -> list[str]:
        if not models:
            raise ValueError("a tier must name at least one model_name")
        if any(not isinstance(m, str) or not m.strip() for m in models):
            raise ValueError("tier entries must be non-empty model_names")
        return models

    @property
    def calls(self) -> int:
        return len(self.models) * self.samples

    def call_models(self) -> list[str]:
        """The model_name of each call of the tier, in order (samples of a model side by side)."""
        return [m for m in self.models for _ in range(self.samples)]

    def temperature(self, requested: float | None) -> float | None:
        """The temperature of this tier's calls: samples need one above 0 to differ."""
        if self.samples == 1:
            return requested
        floor = DEFAULT_SAMPLE_TEMPERATURE if self.sample_temperature is None else self.sample_temperature
        return max(floor, requested or 0.0)


def cascade_problems(
    tiers: list[TierConfig], accept: AcceptConfig | None, verifier: VerifierConfig | None
) -> list[str]:
    """Problems with a cascade's tiers as a whole, each as (`field`: problem)."""
    problems = []
    if len(tiers) < 2:
        problems.append("tiers: a cascade needs at least two tiers (the last one is always accepted)")
    for i, tier in enumerate(tiers[:-1]):
        rule = tier.accept or accept
        where = f"tiers[{i}].accept" if tier.accept is not None else "accept"
        if rule is None:
            rule = AcceptConfig(agreement="all")  # the default check
        if rule.verifier and verifier is None:
            problems.append(f"{where}: verifier is asked for but the cascade has no `verifier` (set verifier.model)")
        needed = rule.needed(tier.calls)
        if needed is not None and needed > tier.calls:
            problems.append(
                f"{where}: agreement of {needed} answers is more than tier {i + 1} gives "
                f"({len(tier.models)} model(s) x {tier.samples} sample(s))"
            )
        elif needed is not None and needed < 2:
            problems.append(
                f"{where}: agreement needs at least 2 answers but tier {i + 1} gives {tier.calls}; add "
                "a model, samples, or use the verifier"
            )
    return problems
