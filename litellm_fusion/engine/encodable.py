"""Text that can be sent on: to a model (a request body), to the client (a reply), to a spend row.

A model may write "\\ud800" in its JSON, which decodes to a lone surrogate: UTF-8 cannot encode it, so a request body,
a reply or a spend-log row that quotes it fails to serialise (the judge call fails after its retries, the reply is a
500 after the calls were billed, a spend row is refused by Postgres). Each is replaced by U+FFFD once, where the text is
rendered into what goes out. Linear, in C, and nothing at all for ASCII or already encodable text.
"""

from __future__ import annotations

import re
from typing import Any

_SURROGATE = re.compile("[\ud800-\udfff]")
DATA_DEPTH = 32  # the plugin's own records (spend metadata, reply details) nest a few levels


def encodable(text: str) -> str:
    """`text` with every lone surrogate replaced by U+FFFD."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)
    return text


def encodable_record(value: Any, depth: int = 0) -> Any:
    """A record the plugin built (dicts, lists, strings, numbers) with every string made encodable and stripped of NUL
    characters (Postgres text cannot hold one); values nested deeper than DATA_DEPTH are named, not kept."""
    if isinstance(value, str):
        value = encodable(value)
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, dict | list | tuple) and depth >= DATA_DEPTH:
        return f"[{type(value).__name__} nested deeper than {DATA_DEPTH}]"
    if isinstance(value, dict):
        return {encodable_record(k, depth + 1): encodable_record(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encodable_record(v, depth + 1) for v in value]
    return value
