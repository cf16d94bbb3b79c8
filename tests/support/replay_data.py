"""Recorded answers of real models from ../shared/data, as replay records for the fake upstream.

Each `Prompt` is one test (or train) prompt with, per deployment name, the `Recorded` answer that model gave:
the text the replay upstream returns, its recorded correctness, and token counts chosen so that LiteLLM's
own cost calculation (deployment price x tokens) bills what the data says the call cost.

RouterBench (`routerbench/*.csv`): 11 models, each answer with its real per-query cost in USD. Every recorded
cost is a whole number of nano-dollars, so a deployment priced at $0 per input token and
`RB_UNIT` = $1e-9 per output token, answering with `completion_tokens = round(cost / RB_UNIT)`, is billed
exactly the recorded cost (to float rounding, < 1e-18 USD). Those "tokens" are billing units, not tokens;
`prompt_tokens` is an estimate (chars / 4) shown in usage and billed at $0.

MMLU-Pro (`mmlu_pro/`): 31 models' extracted letters (`pred`), correctness and `response_chars`; full
chain-of-thought texts for three models. No recorded cost: prices come from LiteLLM's cost map
(`MMLU_PRO_PRICES`: the named model, or the nearest model still sold, stated per entry), tokens are
estimated as ceil(chars / 4) for the prompt actually sent and for the recorded response length. The prompt
is the question and its options in upstream's chain-of-thought format, without upstream's five worked
examples (they are not in the data), so every call's input is smaller than in the original 5-shot run.
Models with a full recorded response answer with it verbatim; the others answer with their extracted letter
rendered as "The answer is (X)." (or, when upstream's extraction failed, a text naming no option).

Split of MMLU-Pro shared with the router's training (documented rule, use exactly this):
`mmlu_pro_is_test(qid)`: int(sha256(str(question_id)).hexdigest(), 16) % 5 == 0.
"""

from __future__ import annotations

import ast
import csv
import gzip
import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

RB_UNIT = 1e-9  # USD per billing unit ("output token") of a replayed RouterBench deployment
RB_TASKS = ("arc_challenge", "mbpp", "winograde")
# RouterBench model -> the deployment (model_name) that replays it
RB_MODELS = {
    "gpt-4-1106-preview": "rb-gpt-4",
    "claude-v2": "rb-claude-v2",
    "claude-v1": "rb-claude-v1",
    "claude-instant-v1": "rb-claude-instant",
    "gpt-3.5-turbo-1106": "rb-gpt-3.5",
    "meta/llama-2-70b-chat": "rb-llama-2-70b",
    "mistralai/mixtral-8x7b-chat": "rb-mixtral-8x7b",
    "zero-one-ai/Yi-34B-Chat": "rb-yi-34b",
    "meta/code-llama-instruct-34b-chat": "rb-codellama-34b",
    "WizardLM/WizardLM-13B-V1.2": "rb-wizardlm-13b",
    "mistralai/mistral-7b-chat": "rb-mistral-7b",
}

# MMLU-Pro model -> (deployment name, LiteLLM cost-map key whose prices it is billed at, why that key)
MMLU_PRO_PRICES: dict[str, tuple[str, str, str]] = {
    "gpt4o": ("mp-gpt-4o", "gpt-4o-2024-05-13", "the run used API `gpt-4o` in May 2024 = gpt-4o-2024-05-13"),
    "gemini-1.5-pro-002": (
        "mp-gemini-pro",
        "gemini/gemini-2.5-pro",
        "1.5-pro is no longer in the cost map; its successor at the same input price",
    ),
    "gemini-1.5-flash-002": (
        "mp-gemini-flash",
        "gemini/gemini-2.5-flash-lite",
        "1.5-flash is no longer in the cost map; the Gemini model closest to its price",
    ),
    "Meta-Llama-3_1-70B-Instruct": (
        "mp-llama-70b",
        "together_ai/meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo",
        "same model, Together AI",
    ),
    "Meta-Llama-3_1-8B-Instruct": (
        "mp-llama-8b",
        "together_ai/meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo",
        "same model, Together AI",
    ),
    "deepseek": (
        "mp-deepseek",
        "deepseek/deepseek-chat",
        "the run used API `deepseek-chat` (May 2024, DeepSeek-V2); today's deepseek-chat price",
    ),
    "Mixtral-8x7B-Instruct-v0.1": ("mp-mixtral-8x7b", "mistral.mixtral-8x7b-instruct-v0:1", "same model, Bedrock"),
    "Phi-3-mini-4k-instruct": ("mp-phi-3-mini", "azure_ai/Phi-3-mini-4k-instruct", "same model, Azure AI"),
}
MMLU_PRO_FULL_RESPONSES = ("Meta-Llama-3_1-8B-Instruct", "Meta-Llama-3_1-70B-Instruct", "gpt4o")
CHARS_PER_TOKEN = 4
NO_ANSWER = "I could not determine which option is correct."  # upstream extracted no letter


@dataclass(frozen=True)
class Recorded:
    text: str  # what the replayed deployment answers
    score: float  # recorded correctness (RouterBench score, MMLU-Pro `correct`)
    prompt_tokens: int
    completion_tokens: int
    cost: float  # USD LiteLLM bills for this call: recorded (RouterBench) or tokens x cost-map price


@dataclass
class Prompt:
    split: str  # "rb/arc_challenge", "rb/mbpp", "rb/winograde", "mmlu_pro"
    key: str  # sample_id / question_id
    text: str  # the user message sent to the proxy
    answers: dict[str, Recorded]  # deployment name -> what that deployment answers

    def complete(self, deployments: list[str]) -> bool:
        return all(d in self.answers for d in deployments)


def tokens(chars: int) -> int:
    return max(1, math.ceil(chars / CHARS_PER_TOKEN))


def _list_text(raw: str) -> str:
    """RouterBench stores prompts and responses as Python-list strings."""
    value = ast.literal_eval(raw)
    return "\n".join(map(str, value)) if isinstance(value, list) else str(value)


def routerbench(data: Path, task: str, split: str = "test") -> list[Prompt]:
    csv.field_size_limit(10**9)
    out = []
    with open(data / "routerbench" / f"{task}_{split}.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            text = _list_text(row["prompt"])
            answers = {}
            for model, name in RB_MODELS.items():
                score, cost, response = (
                    row.get(model, ""),
                    row.get(f"{model}|total_cost", ""),
                    row.get(f"{model}|model_response", ""),
                )
                if score == "" or cost == "" or response == "":
                    continue
                answers[name] = Recorded(
                    _list_text(response), float(score), tokens(len(text)), round(float(cost) / RB_UNIT), float(cost)
                )
            out.append(Prompt(f"rb/{task}", row["sample_id"], text, answers))
    return out


def rb_deployment_prices() -> tuple[float, float]:
    """(input, output) USD per token of every replayed RouterBench deployment."""
    return 0.0, RB_UNIT


def mmlu_pro_is_test(question_id: int) -> bool:
    return int(hashlib.sha256(str(question_id).encode()).hexdigest(), 16) % 5 == 0


def mmlu_pro_prompt(category: str, question: str, options: list[str]) -> str:
    """Upstream's chain-of-thought prompt (MMLU-Pro's initial prompt and question format), zero-shot."""
    letters = "ABCDEFGHIJKLMNOP"
    head = (
        f"The following are multiple choice questions (with answers) about {category}. Think step by step and "
        'then finish your answer with "the answer is (X)" where X is the correct letter choice.\n\n'
    )
    lines = [f"Question: {question}", "Options:"] + [f"{letters[i]}. {o}" for i, o in enumerate(options)]
    return head + "\n".join(lines) + "\nAnswer: Let's think step by step."


def mmlu_pro_prices() -> dict[str, tuple[float, float]]:
    """Deployment name -> (input, output) USD per token, from LiteLLM's cost map."""
    import litellm

    out = {}
    for name, key, _ in MMLU_PRO_PRICES.values():
        info = litellm.model_cost[key]
        out[name] = (float(info["input_cost_per_token"]), float(info["output_cost_per_token"]))
    return out


def _read_jsonl(path: Path) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def mmlu_pro(data: Path, split: str = "test") -> list[Prompt]:
    """Questions of the split (see `mmlu_pro_is_test`) with each priced model's recorded answer."""
    root = data / "mmlu_pro"
    prices = mmlu_pro_prices()
    questions = {q["question_id"]: q for q in _read_jsonl(root / "questions.jsonl")}
    full = {
        m: {r["question_id"]: r["response"] for r in _read_jsonl(root / f"responses_{m}.jsonl.gz")}
        for m in MMLU_PRO_FULL_RESPONSES
    }
    out = []
    for line in _read_jsonl(root / "outcomes.jsonl"):
        qid = line["question_id"]
        if mmlu_pro_is_test(qid) != (split == "test"):
            continue
        q = questions[qid]
        text = mmlu_pro_prompt(q["category"], q["question"], q["options"])
        answers = {}
        for model, (name, _, _) in MMLU_PRO_PRICES.items():
            rec = line.get(model)
            if rec is None:
                continue
            if model in full and qid in full[model]:
                response = full[model][qid]
            else:
                response = f"The answer is ({rec['pred']})." if rec["pred"] else NO_ANSWER
            pt, ct = tokens(len(text)), tokens(int(rec["response_chars"]))
            price_in, price_out = prices[name]
            answers[name] = Recorded(response, float(rec["correct"] or 0), pt, ct, pt * price_in + ct * price_out)
        out.append(Prompt("mmlu_pro", str(qid), text, answers))
    return out


def load_split(data: Path, split_name: str, split: str = "test") -> list[Prompt]:
    if split_name == "mmlu_pro":
        return mmlu_pro(data, split)
    return routerbench(data, split_name.removeprefix("rb/"), split)


ALL_SPLITS = tuple(f"rb/{t}" for t in RB_TASKS) + ("mmlu_pro",)
