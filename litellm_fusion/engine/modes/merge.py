"""One panel round; the judge writes the answer from the candidates (streamed as it writes)."""

from __future__ import annotations

from collections.abc import Sequence

from ..prompts import merge_prompt
from ..records import Candidate, Message
from .panel import PanelMode


class Merge(PanelMode):
    def judge_prompt(
        self, messages: Sequence[Message], cands: Sequence[Candidate], rounds: int, tools: bool
    ) -> list[Message]:
        return merge_prompt(messages, cands, tools)
