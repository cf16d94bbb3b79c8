"""The product's agreement relation (litellm_fusion.engine.answers) called from synchronous benchmark code: one
event loop for the whole run, so math equivalence keeps its thread and cache between comparisons."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from litellm_fusion.engine.answers import agreement, compare_answers, extract
from litellm_fusion.engine.records import Candidate

_runner = asyncio.Runner()


def same(a: str, b: str) -> bool:
    """Whether two replies' final answers agree."""
    return _runner.run(compare_answers(extract(a), extract(b))).outcome == "agree"


def all_agree(replies: Sequence[Candidate]) -> str | None:
    """Why all replies agree (the fusion agreement shortcut's test), or None."""
    return _runner.run(agreement(replies))
