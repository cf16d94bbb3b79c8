"""The answer contract a request implies, when the operator's config does not state one: a `response_format`
JSON schema names the answer field (and its type the kind), or the prompt asks for JSON with a named answer
field. The operator's contract wins; a kind it states is kept over an inferred one."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from .model import AnswerContract, KindChoice
from .structured import ANSWER_KEYS

_ASIDE = {"reasoning", "explanation", "rationale", "analysis", "thoughts", "thinking", "steps", "justification", "work"}
_PROMPT_FIELD = re.compile(r"[\"'`](final_answer|finalAnswer|answer)[\"'`]")
_JSON_WORD = re.compile(r"\bjson\b", re.IGNORECASE)
_LETTER = re.compile(r"^[A-J]$")


def _schema(response_format: Any) -> Mapping[str, Any] | None:
    if not isinstance(response_format, Mapping):
        return None
    inner = response_format.get("json_schema")
    schema = inner.get("schema") if isinstance(inner, Mapping) else response_format.get("schema")
    return schema if isinstance(schema, Mapping) else None


def _kind(prop: Any) -> KindChoice:
    if not isinstance(prop, Mapping):
        return "auto"
    enum = prop.get("enum")
    if isinstance(enum, list) and enum and all(isinstance(e, str) and _LETTER.match(e) for e in enum):
        return "letter"
    return {"integer": "number", "number": "number", "boolean": "literal"}.get(str(prop.get("type")), "auto")  # type: ignore[return-value]


def from_schema(response_format: Any) -> AnswerContract | None:
    schema = _schema(response_format)
    props = schema.get("properties") if schema else None
    if not isinstance(props, Mapping) or not props:
        return None
    names = [n for n in props if isinstance(n, str)]
    field = next((k for k in ANSWER_KEYS if k in names), None)
    if field is None:
        rest = [n for n in names if n.lower() not in _ASIDE]
        field = rest[0] if len(rest) == 1 else None
    if field is None:
        return None
    return AnswerContract(source="json_field", field=field, kind=_kind(props[field]), origin="response_format")


def _last_user_text(messages: Sequence[Mapping[str, Any]]) -> str:
    for message in reversed(messages):
        if isinstance(message, Mapping) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content[-8000:]
            if isinstance(content, list):
                parts = [
                    p.get("text", "") for p in content if isinstance(p, Mapping) and isinstance(p.get("text"), str)
                ]
                return "\n".join(parts)[-8000:]
    return ""


def from_prompt(messages: Sequence[Mapping[str, Any]]) -> AnswerContract | None:
    text = _last_user_text(messages)
    if not _JSON_WORD.search(text):
        return None
    found = _PROMPT_FIELD.search(text)
    return AnswerContract(source="json_field", field=found.group(1), origin="prompt") if found else None


def request_contract(
    configured: AnswerContract | None, params: Mapping[str, Any], messages: Sequence[Mapping[str, Any]]
) -> AnswerContract | None:
    """The contract this request's answers are read under: the operator's, else one the request implies."""
    if configured is not None and configured.source != "auto":
        return configured
    inferred = from_schema(params.get("response_format")) or from_prompt(messages)
    if inferred is None:
        return configured
    if configured is not None and configured.kind != "auto":
        return inferred.model_copy(update={"kind": configured.kind})
    return inferred
