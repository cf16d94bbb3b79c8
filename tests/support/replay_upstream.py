"""Replay upstream: the fake upstream answering each (model, prompt) with a recorded answer.

A `ReplayBook` maps (deployment name, SHA-256 of the prompt) to a `Reply` with its own token counts, so the
proxy bills each call what the record says (see replay_data.py for how records are priced). The prompt is
the text of the request's last user message: instructions a caller adds in system messages do not change
the lookup. A request for an unrecorded (model, prompt) gets HTTP 404 naming both, never a made-up answer.

Use it in-process (`book.install(fake_upstream, models)`, tests) or in a process of its own
(`replay_process(book_path)`, benchmarks: no GIL shared with the client).

A replay judge (`install_judge`) answers the plugin's pairwise audit judge (engine/audit/pair_judge.py) from the
recorded scores: it reads the conversation and the two fenced candidates, looks each candidate up among the
recorded answers to that prompt, and prefers the higher-scored one (a tie when equal); a judge right `accuracy` of
the time gives one of the two other verdicts otherwise (drawn from a hash of the prompt: replayable).
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from litellm_fusion.engine.prompts import render_message

from .fake_upstream import FakeUpstream, Reply

REPO = Path(__file__).resolve().parents[2]

MISSING_STATUS = 404


def prompt_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def last_user_text(body: dict[str, Any]) -> str:
    """Text of the last user message (string content, or the text parts of a content list)."""
    for message in reversed(body.get("messages") or []):
        if message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, list):
            return "".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
        return str(content or "")
    return ""


@dataclass(frozen=True)
class Entry:
    model: str
    prompt_sha: str
    text: str
    prompt_tokens: int
    completion_tokens: int
    score: float | None = None  # recorded correctness of the answer (what the replay judge reads)


_BLOCK = re.compile(r"<(conversation|candidate)-([0-9a-f]+)(?: label=\"([AB])\")?>\n(.*?)\n</\1-\2>", re.DOTALL)
VERDICTS = ("A", "B", "tie")


class ReplayBook:
    def __init__(self, entries: Iterable[Entry] = ()) -> None:
        self._entries: dict[tuple[str, str], Entry] = {}
        self._scores: dict[tuple[str, str], float | None] | None = None
        for entry in entries:
            self.add(entry)

    def add(self, entry: Entry) -> None:
        self._entries[(entry.model, entry.prompt_sha)] = entry
        self._scores = None

    def record(
        self, model: str, prompt: str, text: str, prompt_tokens: int, completion_tokens: int, score: float | None = None
    ) -> None:
        self.add(Entry(model, prompt_key(prompt), text, prompt_tokens, completion_tokens, score))

    def score_of(self, prompt: str, answer: str) -> float | None:
        """The recorded score of `answer` to `prompt` (any model's; None: not a recorded answer)."""
        if self._scores is None:
            self._scores = {
                (e.prompt_sha, prompt_key(e.text)): e.score for e in self._entries.values() if e.score is not None
            }
        return self._scores.get((prompt_key(prompt), prompt_key(answer)))

    def judge_verdict(self, body: dict[str, Any], accuracy: float) -> str:
        """The replay judge's JSON verdict on a pairwise audit prompt."""
        blocks = {(kind, label): text for kind, _, label, text in _BLOCK.findall(last_user_text(body))}
        # the conversation as the plugin renders it: one user message
        prompt = blocks.get(("conversation", ""), "").removeprefix(render_message({"role": "user", "content": ""}))
        a, b = (self.score_of(prompt, blocks.get(("candidate", x), "")) for x in "AB")
        if a is None or b is None:
            return json.dumps({"preference": "tie", "confidence": 0.0, "note": "not a recorded pair"})
        truth = "A" if a > b else "B" if b > a else "tie"
        draw = int(prompt_key(prompt + blocks.get(("candidate", "A"), ""))[:8], 16) / 16**8
        if draw >= accuracy:
            others = [v for v in VERDICTS if v != truth]
            truth = others[int((draw - accuracy) / max(1e-9, 1 - accuracy) * 2) % 2]
        return json.dumps({"preference": truth, "confidence": 0.9})

    def install_judge(self, upstream: FakeUpstream, model: str, accuracy: float = 1.0) -> None:
        """Make `upstream` answer `model` as the replay judge."""
        upstream.set(
            model, text=lambda body: self.judge_verdict(body, accuracy), prompt_tokens=400, completion_tokens=12
        )

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def models(self) -> list[str]:
        return sorted({model for model, _ in self._entries})

    def reply(self, model: str, body: dict[str, Any]) -> Reply | None:
        entry = self._entries.get((model, prompt_key(last_user_text(body))))
        if entry is None:
            return None
        return Reply(content=entry.text, prompt_tokens=entry.prompt_tokens, completion_tokens=entry.completion_tokens)

    # ---- files (one JSON object per line) ----
    def save(self, path: Path) -> Path:
        with open(path, "w", encoding="utf-8") as f:
            f.writelines(json.dumps(asdict(entry)) + "\n" for entry in self._entries.values())
        return path

    @classmethod
    def load(cls, path: Path) -> ReplayBook:
        with open(path, encoding="utf-8") as f:
            return cls(Entry(**json.loads(line)) for line in f if line.strip())

    # ---- serving ----
    def install(self, upstream: FakeUpstream, models: Iterable[str] | None = None, latency: float = 0.0) -> None:
        """Make `upstream` answer every model in `models` (default: all in the book) from this book."""
        for model in models if models is not None else self.models:
            self._install_one(upstream, model, latency)

    def _install_one(self, upstream: FakeUpstream, model: str, latency: float) -> None:
        def answer(body: dict[str, Any]) -> Reply:
            reply = self.reply(model, body)
            assert reply is not None  # `status` already answered 404 for unrecorded prompts
            return reply

        def status(body: dict[str, Any]) -> int | None:
            return None if self.reply(model, body) is not None else MISSING_STATUS

        upstream.set(
            model,
            text=answer,
            status=status,
            latency=latency,
            error_message=f"replay: no recorded answer of {model} for this prompt",
        )


@contextmanager
def replay_process(book_path: Path, latency: float = 0.0, judge: tuple[str, float] | None = None) -> Iterator[str]:
    """Serve the book from a process of its own; yields the base URL (…/v1). `judge`: (model, accuracy) of a replay
    judge."""
    extra = [judge[0], str(judge[1])] if judge else []
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.replay_upstream", str(book_path), str(latency), *extra],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        if not line.strip():
            raise RuntimeError(f"replay upstream exited with {proc.wait(10)}")
        yield f"http://127.0.0.1:{int(line)}/v1"
    finally:
        proc.stdin.close()  # type: ignore[union-attr]
        proc.wait(10)


def main() -> None:
    """`python replay_upstream.py BOOK.jsonl [LATENCY_S [JUDGE_MODEL ACCURACY]]`: prints the port, serves until
    stdin closes."""
    book = ReplayBook.load(Path(sys.argv[1]))
    server = FakeUpstream().start()
    book.install(server, latency=float(sys.argv[2]) if len(sys.argv) > 2 else 0.0)
    if len(sys.argv) > 4:
        book.install_judge(server, sys.argv[3], float(sys.argv[4]))
    print(server.port, flush=True)
    sys.stdin.read()
    server.stop()


if __name__ == "__main__":
    main()
