"""The answer contract: where a reply's final answer is and what kind it is.

```yaml
answer: {from: auto, kind: auto}                 # the default: layered extraction, kind inferred
answer: {from: "json_field:answer", kind: math}  # the reply's JSON object's `answer` field, compared as math
answer: {from: "regex:ANSWER:\\s*(.+)"}          # the last match's first group (or the whole match)
```
Stated by the operator on a cascade, or inferred per request from a `response_format` JSON schema or a prompt
asking for a named JSON field (engine/answers/contract.py).
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

KindChoice = Literal["auto", "letter", "number", "math", "literal", "text"]


class AnswerContract(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    source: Literal["auto", "json_field", "regex"] = "auto"
    field: str | None = None
    pattern: str | None = None
    kind: KindChoice = Field(default="auto", description="how answers are compared: auto (inferred) or one kind")
    origin: str = Field(default="config", exclude=True)  # config | response_format | prompt

    @model_validator(mode="before")
    @classmethod
    def _from(cls, value: Any) -> Any:
        if not isinstance(value, dict) or "from" not in value:
            return value
        value = dict(value)
        spec = value.pop("from")
        if not isinstance(spec, str):
            raise ValueError(f"from must be auto, json_field:<name> or regex:<pattern>, got {spec!r}")  # noqa: TRY004 - pydantic reports ValueError
        head, _, rest = spec.partition(":")
        if spec == "auto":
            value["source"] = "auto"
        elif head == "json_field" and rest.strip():
            value.update(source="json_field", field=rest.strip())
        elif head == "regex" and rest:
            try:
                re.compile(rest)
            except re.error as exc:
                raise ValueError(f"from: regex {rest!r} does not compile ({exc})") from None
            value.update(source="regex", pattern=rest)
        else:
            raise ValueError(f"from must be auto, json_field:<name> or regex:<pattern>, got {spec!r}")
        return value

    @property
    def spec(self) -> str:
        return {"auto": "auto", "json_field": f"json_field:{self.field}", "regex": f"regex:{self.pattern}"}[self.source]
