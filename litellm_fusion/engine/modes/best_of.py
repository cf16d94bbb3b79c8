"""One panel round; the judge's short JSON verdict picks a candidate, which is returned verbatim."""

from __future__ import annotations

from collections.abc import Sequence

from ..prompts import best_of_prompt
from ..records import Candidate, Message
from .panel import PanelMode


class BestOf(PanelMode):
    picks_verbatim = True

    def judge_prompt(
        self, messages: Sequence[Message], cands: Sequence[Candidate], rounds: int, tools: bool
    ) -> list[Message]:
        return best_of_prompt(messages, cands)
