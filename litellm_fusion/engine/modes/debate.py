"""Round 1 independent answers; in rounds 2..N every member still in the debate sees its own last answer and
the others' latest answers (anonymised) and revises; the judge settles, writing the answer. A member that fails
in a later round leaves the debate (its last answer stays a candidate); the debate stops early when every member
still in it gives the same answer (converged)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..answers import agreement, request_contract
from ..calls import Deadline, PanelCall, run_panel
from ..prompts import debate_judge_prompt, debate_revision_messages
from ..records import CallRecord, Candidate, Message
from .base import EngineState
from .panel import PanelMode, collect_round


class Debate(PanelMode):
    def judge_prompt(
        self, messages: Sequence[Message], cands: Sequence[Candidate], rounds: int, tools: bool
    ) -> list[Message]:
        return debate_judge_prompt(messages, cands, rounds, tools)

    async def more_rounds(
        self,
        engine: EngineState,
        messages: Sequence[Message],
        params: dict[str, Any],
        deadline: Deadline,
        latest: dict[int, Candidate],
        calls: list[CallRecord],
    ) -> int:
        cfg = engine.config
        active = sorted(latest)
        rounds_run = 1
        contract = request_contract(cfg.answer, params, messages)
        for round_no in range(2, cfg.rounds + 1):
            if len(active) < 2 or deadline.remaining() <= 0:
                break
            if await agreement([latest[i] for i in active], contract) is not None:
                engine.converged = True  # every member still in the debate gives the same answer: nothing to settle
                break
            snapshot = dict(latest)
            revisions = [
                PanelCall(
                    i,
                    cfg.panel[i],
                    debate_revision_messages(messages, snapshot[i], [snapshot[j] for j in active if j != i]),
                )
                for i in active
            ]
            results = await run_panel(
                engine.caller,
                revisions,
                params,
                cfg.member_timeout,
                deadline,
                round_no,
                engine.quorum,
                engine.completed,
            )
            rounds_run = round_no
            active = collect_round(results, calls, latest)
        return rounds_run
