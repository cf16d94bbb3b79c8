"""The text the difficulty classifier reads for a chat request.

What the user asks *now* decides the difficulty: the last user message is kept whole (up to `max_chars`).
A short, marked slice of the turns before it is put in front, so that "yes" after a hard question does not
read like "yes" after a greeting. System prompts are left out: they are constant within a session and say
nothing about how hard this request is. Images and other non-text parts are ignored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

DEFAULT_MAX_CHARS = 6000
CONTEXT_MARK = "[earlier turns]"
NOW_MARK = "[current request]"
# Of the budget, at most this share goes to earlier turns, and at most PER_TURN_CHARS to each of them.
CONTEXT_SHARE = 0.25
PER_TURN_CHARS = 400
CONTEXT_TURNS = 3


def content_text(content: Any) -> str:
    """Text of one message's `content`: a string, or a list of parts of which only text parts count."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, Mapping):  # a single part instead of a list
        content = [content]
    if isinstance(content, Sequence):
        texts: list[str] = []
        for part in content:
            if isinstance(part, str):
                texts.append(part)
            elif isinstance(part, Mapping):
                kind = part.get("type")
                if kind in (None, "text", "input_text") and isinstance(part.get("text"), str):
                    texts.append(part["text"])
        return "\n".join(t for t in texts if t)
    return ""


def _tail(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return "…" + text[-limit:]


def _head_tail(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    head = limit // 3
    return text[:head] + "\n…\n" + text[-(limit - head) :]


def request_text(messages: Sequence[Mapping[str, Any]] | None, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """The text to classify for a chat request; "" when there is no user message with text.

    Layout when there are earlier turns (user or assistant, newest last):
        "[earlier turns]\\n<role>: <tail of turn>\\n...\\n[current request]\\n<last user message>"
    Without earlier turns it is just the last user message. Long text is cut head + tail.
    """
    if not messages:
        return ""
    last_user = -1
    for i in range(len(messages) - 1, -1, -1):
        m = messages[i]
        if isinstance(m, Mapping) and m.get("role") == "user":
            last_user = i
            break
    if last_user < 0:
        return ""
    now = content_text(messages[last_user].get("content")).strip()
    context_budget = int(max_chars * CONTEXT_SHARE)
    parts: list[str] = []
    used = 0
    for m in reversed(messages[:last_user]):
        if len(parts) >= CONTEXT_TURNS or used >= context_budget:
            break
        if not isinstance(m, Mapping) or m.get("role") not in ("user", "assistant"):
            continue
        t = content_text(m.get("content")).strip()
        if not t:
            continue
        t = _tail(t, min(PER_TURN_CHARS, context_budget - used))
        used += len(t)
        parts.append(f"{m['role']}: {t}")
    if not now and not parts:
        return ""
    if not parts:
        return _head_tail(now, max_chars)
    parts.reverse()
    now = _head_tail(now, max(0, max_chars - used))
    return CONTEXT_MARK + "\n" + "\n".join(parts) + "\n" + NOW_MARK + "\n" + now


def responses_messages(input: Any, instructions: Any = None) -> list[Mapping[str, Any]]:
    """A Responses API request's `input` as chat-like messages for `request_text`: a string is one user message;
    a list keeps its items that have a role (messages, with string or input_text parts); tool outputs and other
    items are left out. `instructions` (the system prompt) are not classified, as for chat."""
    if isinstance(input, str):
        return [{"role": "user", "content": input}]
    if isinstance(input, Sequence):
        return [item for item in input if isinstance(item, Mapping) and isinstance(item.get("role"), str)]
    return []


def prompt_text(prompt: str | None, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """Text to classify for a plain completion prompt (cut head + tail like a chat message)."""
    if not prompt:
        return ""
    return _head_tail(prompt.strip(), max_chars)
