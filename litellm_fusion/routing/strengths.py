"""Default strengths of well-known models, on the difficulty model's scale (logits of success, IRT slope a=1).

p_success = 1 / (1 + exp(-slope * (strength - difficulty))), slope from the classifier. Sources, per entry:

- **fitted**: the IRT fit of scripts/train_router.py (RouterBench's 11 models; since issue 14 fitted on all
  sources at once and anchored to these values, which moved mixtral by -0.02). These are also in the
  artifact (`DifficultyModel.load().strengths`); tests check the two agree.
- **Arena**: LMSYS Chatbot Arena Elo, mapped by a linear fit of the fitted strengths on the Arena Elo of the
  same models in the November-2023 Arena table (LMSYS leaderboard as mirrored at aigender.net, "Last updated:
  November, 2023"): GPT-4-Turbo 1210 -> gpt-4-1106-preview 1.93, Claude-1 1146 -> 0.67, Claude-instant-1 1106 ->
  0.34, GPT-3.5-turbo 1103 -> 0.54, Llama-2-70b-chat 1065 -> 0.03, WizardLM-13b-v1.2 1047 -> -0.25,
  CodeLlama-34B-instruct 1022 -> -0.04, Mistral-7B-Instruct-v0.1 1008 -> -0.18 (Pearson r = 0.94;
  Claude-2 left out, see below): strength = 0.009907 * Elo_2023 - 10.4025.
  Newer models' Elo come from later LMSYS snapshots (openlm.ai mirror, date per entry). Those snapshots sit
  41 points above the 2023 table (GPT-4-1106-preview: 1251 on 2024-09-05 vs 1210), so
  strength = 0.009907 * (Elo - 41) - 10.4025. Snapshots 2024-09 .. 2025-05 agree on shared models within a
  few points (gpt-4o-mini 1274/1272/1273); a 2025-07 number is corrected by GPT-4.1's drift.
- **ASSUMED**: no leaderboard number was available offline; placed by analogy (stated per entry). Override
  these in the deployment config (`strength:`) if you know better.

Caveats: Arena measures chat preference, not task accuracy; it flatters small chatty models (gpt-4o-mini)
and under-rates reasoning models relative to math/code benchmarks. Values above ~2.5 are an extrapolation
beyond the fitted range (-0.2 .. 1.9); they mostly say "p_success close to 1 for nearly all prompts".
"""

from __future__ import annotations

import re

DEFAULT_STRENGTHS: dict[str, float] = {
    # --- Fitted directly (IRT on RouterBench train, scripts/train_router.py) ---
    "gpt-4-1106-preview": 1.93,  # fitted: RouterBench `gpt-4-1106-preview`
    "gpt-4-turbo": 1.93,  # fitted: RouterBench `gpt-4-1106-preview`
    "gpt-3.5-turbo": 0.54,  # fitted: RouterBench `gpt-3.5-turbo-1106`
    "claude-v1": 0.67,  # fitted: RouterBench `claude-v1`
    "claude-instant-v1": 0.34,  # fitted: RouterBench `claude-instant-v1`
    # Bedrock's claude-instant-v1 is Claude Instant 1.2
    "claude-instant-1": 0.34,  # fitted: RouterBench `claude-instant-v1`
    # claude-v2: RouterBench fit is -0.30, depressed by answer-format failures on ARC/Winogrande (0.57 on ARC vs
    # claude-instant 0.82); we use the Arena mapping instead: Arena 1125 (Nov 2023 table, scale of the fit).
    "claude-v2": 0.74,  # Arena 1125 (2023-11, same scale as the fit, no offset)
    "claude-2": 0.74,  # Arena 1125 (2023-11)
    "mixtral-8x7b": 0.77,  # fitted: RouterBench `mistralai/mixtral-8x7b-chat` (all-data fit; 0.79 on RouterBench alone)
    "mistral-7b": -0.18,  # fitted: RouterBench `mistralai/mistral-7b-chat`
    "llama-2-70b": 0.03,  # fitted: RouterBench `meta/llama-2-70b-chat`
    "yi-34b": 1.02,  # fitted: RouterBench `zero-one-ai/Yi-34B-Chat`
    "codellama-34b": -0.04,  # fitted: RouterBench `meta/code-llama-instruct-34b-chat`
    "code-llama-instruct-34b": -0.04,  # fitted: RouterBench `meta/code-llama-instruct-34b-chat`
    "wizardlm-13b": -0.25,  # fitted: RouterBench `WizardLM/WizardLM-13B-V1.2`
    # --- Mapped from LMSYS Chatbot Arena Elo (openlm.ai mirror, snapshot date given) ---
    "gpt-4o-mini": 1.8,  # Arena 1273 (2025-02-21)
    "gpt-4o": 2.23,  # Arena 1316 (2024-09-05; gpt-4o-2024-08-08)
    "gpt-4.1": 2.73,  # Arena 1367 (2025-05-05)
    "gpt-4.1-mini": 2.3,  # Arena 1323 (2025-05-05)
    "o1": 2.57,  # Arena 1350 (2025-05-05; o1-2024-12-17)
    "o3": 3.17,  # Arena 1411 (2025-05-05; o3-2025-04-16)
    "o3-mini": 2.12,  # Arena 1305 (2025-02-21)
    "o4-mini": 2.59,  # Arena 1352 (2025-05-05; o4-mini-2025-04-16)
    "gpt-4-turbo-2024-04-09": 1.64,  # Arena 1257 (2024-09-05)
    "claude-3-5-sonnet": 1.9,  # Arena 1283 (2025-02-21; Claude 3.5 Sonnet (20241022))
    "claude-3-opus": 1.56,  # Arena 1248 (2024-09-05)
    "claude-3-haiku": 0.89,  # Arena 1181 (2024-05-20)
    # Claude Opus 4 (20250514): 1372 on 2025-07-01, minus 18 = GPT-4.1's drift (1385 there vs 1367 on 2025-05-05)
    "claude-opus-4": 2.61,  # Arena 1354 (2025-07-01, drift-corrected)
    "gemini-2.0-flash": 2.62,  # Arena 1355 (2025-05-05; Gemini-2.0-Flash-001)
    "gemini-2.5-pro": 3.43,  # Arena 1437 (2025-05-05; Gemini-2.5-Pro-Exp-03-25)
    "gemini-2.5-flash": 2.99,  # Arena 1393 (2025-05-05; Gemini-2.5-Flash-Preview-04-17)
    "gemini-1.5-pro": 2.09,  # Arena 1302 (2025-02-21; Gemini-1.5-Pro-002)
    "gemini-1.5-flash": 1.78,  # Arena 1271 (2025-02-21; Gemini-1.5-Flash-002)
    "deepseek-r1": 2.67,  # Arena 1361 (2025-02-21)
    "deepseek-v3": 2.25,  # Arena 1318 (2025-02-21)
    "deepseek-chat": 2.25,  # Arena 1318 (2025-02-21; DeepSeek-V3)
    "deepseek-reasoner": 2.67,  # Arena 1361 (2025-02-21; DeepSeek-R1)
    "qwen2.5-72b": 1.64,  # Arena 1257 (2025-02-21; Qwen2.5-72B-Instruct)
    "qwen3-235b-a22b": 2.49,  # Arena 1342 (2025-05-05)
    "llama-3.3-70b": 1.63,  # Arena 1256 (2025-02-21)
    "llama-3.1-405b": 1.73,  # Arena 1266 (2024-09-05)
    "llama-3.1-70b": 1.57,  # Arena 1249 (2024-09-05)
    "llama-3.1-8b": 0.76,  # Arena 1168 (2024-09-05)
    "llama-3.2-3b": 0.12,  # Arena 1103 (2024-11-13)
    "llama-3-70b": 1.11,  # Arena 1203 (2024-05-20)
    "llama-3-8b": 0.62,  # Arena 1154 (2024-05-20)
    "gemma-2-27b": 1.26,  # Arena 1218 (2024-09-05)
    "gemma-3-27b": 2.48,  # Arena 1341 (2025-05-05)
    "mistral-large": 1.58,  # Arena 1251 (2024-09-05; Mistral-Large-2407)
    "mixtral-8x22b": 0.54,  # Arena 1146 (2024-05-01)
    # --- ASSUMPTIONS: no leaderboard number available offline; placed by analogy ---
    "claude-sonnet-4-5": 2.61,  # ASSUMED: no offline Arena number; at Claude Opus 4 (newer Sonnet ~ previous Opus)
    "claude-sonnet-4": 2.41,  # ASSUMED: no offline Arena number on the linked scale; placed at Claude Opus 4 minus 0.2
    "claude-opus-4-1": 2.61,  # ASSUMED: no offline number; at Claude Opus 4
    "claude-3-7-sonnet": 2.1,  # ASSUMED: no offline number; Claude 3.5 Sonnet plus 0.2
    "claude-3-5-haiku": 1.8,  # ASSUMED: no offline number; at gpt-4o-mini (same price class)
    "claude-haiku-4-5": 1.9,  # ASSUMED: no offline number; at Claude 3.5 Sonnet
    # gpt-5: no number on the linked scale; a 3rd-party Arena table (theairesourcehub.com) puts GPT-5 18 above o3
    "gpt-5": 3.35,  # ASSUMED: o3 + 0.18
    "gpt-5-mini": 2.59,  # ASSUMED: no offline number; at o4-mini
    "gpt-5-nano": 2.3,  # ASSUMED: no offline number; at gpt-4.1-mini
    "gpt-4.1-nano": 1.5,  # ASSUMED: no offline number; gpt-4o-mini minus 0.3
}

_PREFIX_RE = re.compile(r"^(?:[a-z0-9_.-]+/)+")  # provider / org prefixes: openai/, azure/, meta-llama/ ...
_REGION_RE = re.compile(r"^(?:us|eu|apac|global)\.")  # Bedrock cross-region inference profiles
_VENDOR_DOT_RE = re.compile(r"^(?:anthropic|meta|mistral|amazon|cohere|ai21|google)\.")  # Bedrock model ids
_KEYS = sorted(DEFAULT_STRENGTHS, key=len, reverse=True)


def normalize_model(model: str) -> str:
    """'openai/gpt-4o-mini-2024-07-18' -> 'gpt-4o-mini-2024-07-18'; 'bedrock/us.anthropic.claude-x' -> 'claude-x'."""
    m = model.strip().lower()
    m = _PREFIX_RE.sub("", m)
    m = _REGION_RE.sub("", m)
    m = _VENDOR_DOT_RE.sub("", m)
    if m.startswith("meta-") and "llama" in m:  # Meta-Llama-3.1-8B-Instruct -> llama-3.1-8b-instruct
        m = m[len("meta-") :]
    m = m.replace("claude-3.5", "claude-3-5").replace("claude-3.7", "claude-3-7").replace("sonnet-4.5", "sonnet-4-5")
    m = m.replace("llama3", "llama-3") if m.startswith("llama3") else m
    return m


def default_strength(model: str) -> float | None:
    """Strength of a LiteLLM model string by longest-prefix match on the normalized name, or None.

    A key matches only at a boundary (end of name or one of '-', ':', '@', '.', '_' after it), so
    'gpt-4o' does not match 'gpt-4o1…' but does match 'gpt-4o-2024-08-06'; date and version suffixes
    fall away that way.
    """
    if not model:
        return None
    m = normalize_model(model)
    for key in _KEYS:
        if m.startswith(key) and (len(m) == len(key) or m[len(key)] in "-:@._"):
            return DEFAULT_STRENGTHS[key]
    return None
