"""`litellm-fusion classify`: score prompts with the routing classifier, for operators tuning routing.
(`litellm-fusion audit --config config.yaml`: the live-audit estimates, cli_audit.py.)

    litellm-fusion classify < prompts.jsonl
    litellm-fusion classify --config config.yaml --group auto --mode cost < prompts.jsonl

Each input line is `{"prompt": "..."}` or `{"messages": [...]}`; each output line carries
`difficulty` (higher = a stronger model is needed), `slope` (how sure: lower = flatter success curve, the
price matters more), `classifier_us`, and with a config the
deployment the proxy would choose (all deployments assumed healthy) with its predicted success.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any, TextIO

from .config.routing import GroupRouting, RoutingConfigError
from .config.settings import parse_settings
from .routing.strategy import DeploymentProfile


def _group_profiles(
    config_path: str, group: str | None, mode: str | None
) -> tuple[str, GroupRouting, list[DeploymentProfile]]:
    import yaml

    from .adapter.proxy_access.deployment_profiles import build_profile

    with open(config_path, encoding="utf-8") as fh:
        config = yaml.safe_load(fh) or {}
    settings = parse_settings(config.get("litellm_fusion"))
    if group is None:
        if len(settings.routing) != 1:
            raise SystemExit(f"--group is required: the config routes {sorted(settings.routing) or 'no groups'}")
        group = next(iter(settings.routing))
    routing = settings.routing.get(group, GroupRouting())
    if mode is not None:
        routing = GroupRouting.model_validate({**routing.model_dump(), "mode": mode})
    deployments = [e for e in config.get("model_list") or [] if e.get("model_name") == group]
    if not deployments:
        raise SystemExit(f"no model_name {group!r} in {config_path}")
    return group, routing, [build_profile(d, group) for d in deployments]


def _messages(item: Any) -> list[dict[str, Any]]:
    if not isinstance(item, dict):
        raise TypeError('each line must be {"prompt": "..."} or {"messages": [...]}')
    if isinstance(item.get("messages"), list):
        return item["messages"]
    if isinstance(item.get("prompt"), str):
        return [{"role": "user", "content": item["prompt"]}]
    raise ValueError('each line must be {"prompt": "..."} or {"messages": [...]}')


def classify(stdin: TextIO, stdout: TextIO, config: str | None, group: str | None, mode: str | None) -> int:
    from tqdm import tqdm

    from .routing.difficulty_model import DifficultyModel

    model = DifficultyModel.load()
    target = _group_profiles(config, group, mode) if config else None
    if target is not None:  # LiteLLM (its cost map, for the prices) only when there are deployments to choose from
        from .adapter.routing.routing_hook import decide
    errors = 0
    for n, line in enumerate(tqdm(stdin, desc="classifying", unit=" prompts", file=sys.stderr, mininterval=0.5), 1):
        if not line.strip():
            continue
        try:
            messages = _messages(json.loads(line))
        except (ValueError, TypeError) as exc:
            errors += 1
            stdout.write(json.dumps({"line": n, "error": str(exc)}) + "\n")
            continue
        started = time.perf_counter()
        estimate = model.estimate_of(messages)
        out: dict[str, Any] = {
            "difficulty": None if estimate is None else estimate.difficulty,
            "slope": None if estimate is None else round(estimate.slope, 4),
            "classifier_us": round((time.perf_counter() - started) * 1e6, 1),
        }
        if target is not None:
            name, routing, profiles = target
            decision = decide(model, routing, profiles, estimate, messages)
            out.update(
                group=name,
                mode=routing.mode_name,
                deployment=decision.chosen.model,
                p_success={k: round(v, 4) for k, v in decision.p_success.items()},
                reason=decision.reason,
            )
        stdout.write(json.dumps(out) + "\n")
    return 1 if errors else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="litellm-fusion")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("classify", help="score JSON-lines prompts from stdin with the routing classifier")
    p.add_argument("--config", help="a proxy config.yaml: also print the deployment routing would choose")
    p.add_argument("--group", help="the routed model_name (default: the only routed group in --config)")
    p.add_argument("--mode", help="override the group's mode: cost | balanced | quality | a price weight")
    a = sub.add_parser("audit", help="print the live-audit estimates per model and tier, from Redis")
    a.add_argument("--config", required=True, help="the proxy's config.yaml (what is audited, where Redis is)")
    a.add_argument("--redis-url", help="redis://... when the config does not name the proxy's Redis")
    a.add_argument("--json", action="store_true", help="one JSON object per line")
    args = parser.parse_args(argv)
    if args.command == "audit":
        from .cli_audit import run_audit_command

        return run_audit_command(args.config, args.redis_url, args.json, sys.stdout)
    try:
        return classify(sys.stdin, sys.stdout, args.config, args.group, args.mode)
    except RoutingConfigError as exc:
        print(f"litellm-fusion: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
