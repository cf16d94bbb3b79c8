"""The streams of benchmarks/learning_stream.py: each family's prompts with recorded answers, and the routing
classifier retrained without the families (the prior the proxy runs with)."""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tests.support import replay_data as rd

from ..cascade import sim as cs

REPO = Path(__file__).resolve().parents[2]
FAMILIES = {"arc": "rb/arc_challenge", "mbpp": "rb/mbpp", "winogrande": "rb/winograde", "mmlu_pro": "mmlu_pro"}
# (strong, weak) recorded model per source, as benchmarks/routing_generalisation.py's PAIRS, and the names the
# classifier's IRT fit gives them (their strengths); per-token prices of the routed deployments ($/in, $/out).
PAIRS = {
    "rb": (
        ("rb-gpt-4", "gpt-4-1106-preview", 1e-5, 3e-5),
        ("rb-mixtral-8x7b", "mistralai/mixtral-8x7b-chat", 6e-7, 6e-7),
    ),
    "mp": (("mp-gpt-4o", "gpt4o", 5e-6, 1.5e-5), ("mp-llama-8b", "llama-3.1-8b-instruct", 1.8e-7, 1.8e-7)),
}
ROUTED = 1100  # routed requests per stream: one label each (rate 1.0), enough for the last snapshot
HELD_OUT = 1000  # held-out prompts per stream, scored by the snapshots


@dataclass
class Stream:
    name: str  # a family, or "mixed"
    families: list[str]
    cascade_items: list[rd.Prompt] = field(default_factory=list)  # streamed through the cascades
    route_items: list[rd.Prompt] = field(default_factory=list)  # streamed through the routed group
    held_out: list[rd.Prompt] = field(default_factory=list)  # scored by the published models, never streamed
    source: dict[str, str] = field(default_factory=dict)  # prompt key -> rb | mp
    cascades: list[cs.Cascade] = field(default_factory=list)
    strengths: dict[str, float] = field(default_factory=dict)


def lofo_prior(families: list[str], cache: Path) -> Path:
    """The routing classifier retrained without `families` (cached: a few minutes on 2 cores)."""
    path = cache / f"prior-without-{'+'.join(sorted(families))}.json.gz"
    if path.exists():
        return path
    from scripts import router_data as rdata
    from scripts import train_router as tr

    items, dropped = rdata.decontaminate(rdata.load_all(REPO.parent / "shared" / "data"))
    train = [it for it in items if it.split == "train"]
    held = [it for it in items if it.family in families]
    dup = rdata.overlapping([it for it in train if it.family not in families], held)
    print(f"  training the prior without {families} ...", file=sys.stderr)
    artifact, _ = tr.train_model(
        train, [], dropped, text_keep=lambda it: it.family not in families and id(it) not in dup
    )
    cache.mkdir(parents=True, exist_ok=True)
    tr.write_artifact(artifact, path)
    return path


def load_stream(data: Path, families: list[str], limit: int, seed: int = 7) -> Stream:
    """Every prompt of the families with a recorded answer from every deployment of its pool, shuffled: the first
    `limit` per family through the cascades; for the routed group, the last 30% (at most HELD_OUT) held out and up to
    ROUTED of the others streamed."""
    stream = Stream(families[0] if len(families) == 1 else "mixed", families)
    for family in families:
        split = FAMILIES[family]
        prompts = rd.load_split(data, split, "train") + rd.load_split(data, split, "test")
        pool = sorted({m for p in prompts for m in p.answers})
        complete = [p for p in prompts if p.complete(pool)]
        random.Random(seed).shuffle(complete)
        src = "mp" if split == "mmlu_pro" else "rb"
        for p in complete:
            stream.source[p.key] = src
        held = min(HELD_OUT, int(len(complete) * 0.3))
        share = 1 if len(families) == 1 else 2  # a mixed stream: half as many of each (mbpp gives no labels)
        stream.held_out += complete[len(complete) - held :][: HELD_OUT // share]
        stream.route_items += complete[: len(complete) - held][: ROUTED // share]
        stream.cascade_items += complete[:limit] if limit else complete
        if len(families) == 1:
            train = [p for p in rd.load_split(data, split, "train") if p.complete(pool)]
            stream.cascades = cs.select(train, pool, cs.product_rules()).core
    rng = random.Random(seed)
    rng.shuffle(stream.route_items)
    rng.shuffle(stream.cascade_items)
    return stream
