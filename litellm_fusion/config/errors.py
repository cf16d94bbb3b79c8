"""How a config error reads: one `<root>.<field path>: <problem>` per problem of a pydantic ValidationError.

Every config surface (a fusion model's `litellm_params`, the `litellm_fusion:` section) reports its errors
through `field_problems`, so a bad value is a start-up error that names the field, written the same way
everywhere: list items as `[i]`, pydantic's union-member tags left out (`judge_cache_ttl`, not
`judge_cache_ttl.int`), a missing field as `required`, an unknown key as the caller's `unknown` text.
"""

from __future__ import annotations

import re

from pydantic import ValidationError

# The tags pydantic puts in an error's location for the member of a union that failed (`int | Literal["off"]`
# gives `int` and `literal['off']`): types, not fields, so they are no part of the path.
_UNION_TAG = re.compile(r"(int|float|str|bool|none|RoutingMode|(literal|enum|function-\w+|list|dict|tuple)\[.*\])")


def field_path(loc: tuple[int | str, ...]) -> str:
    """`tiers[0].models` from ('tiers', 0, 'models')."""
    parts = (p for p in loc if isinstance(p, int) or not _UNION_TAG.fullmatch(p))
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts).lstrip(".")


def field_problems(exc: ValidationError, root: str, unknown: str) -> list[str]:
    """`<root>.<field path>: <problem>` per problem (`<root>: <problem>` for the whole surface), in order, each
    once. `unknown`: what an unknown key is called (e.g. "unknown fusion option")."""
    lines = []
    for err in exc.errors():
        field = field_path(err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = unknown
        elif err["type"] == "missing":
            msg = "required"
        lines.append(f"{root}.{field}: {msg}" if field else f"{root}: {msg}")
    return list(dict.fromkeys(lines))
