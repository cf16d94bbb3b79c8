"""The math worker: a process of its own that compares math answers with math-verify, one JSON line per request.

Run by math_equivalence.py as a plain script (it imports nothing of this package, so neither LiteLLM nor the
package's start-up). Reads `{"a": ..., "b": ...}` lines on stdin, writes `{"same": true | false | null}` lines on
stdout (null: either side does not parse, or math-verify failed); prints `{"ready": true}` once loaded.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

# sympy's first use of each kind of expression is slow (parsers, simplification): paid once, here
WARM_UP = (
    ("x^2+2x+1", "(x+1)^2"),
    ("\\frac{\\sqrt{3}}{2}", "\\sqrt{3}/2"),
    ("(-\\infty, 2]", "[0, 1)"),
    ("\\{1,2\\}", "\\{2,1\\}"),
    ("y=2x+1", "2x+1"),
    ("\\frac{\\pi}{4}", "0.785"),
    ("a^2-b^2", "(a-b)(a+b)"),
    ("\\log_2 8", "3"),
)


def main() -> None:
    import math_verify as mv

    logging.getLogger("math_verify").setLevel(logging.ERROR)  # it warns on every call that its timeouts are off
    configs = [mv.LatexExtractionConfig(boxed_match_priority=0), mv.ExprExtractionConfig()]

    def parse(expr: str) -> list[Any]:
        text = expr if "$" in expr or "\\boxed" in expr else f"${expr}$"
        return mv.parse(text, extraction_config=configs, parsing_timeout=None)  # type: ignore[no-any-return]

    def same(a: str, b: str) -> bool | None:
        try:
            pa, pb = parse(a), parse(b)
            if not pa or not pb:
                return None
            return bool(mv.verify(pa, pb, timeout_seconds=None) and mv.verify(pb, pa, timeout_seconds=None))
        except Exception:  # noqa: BLE001 - sympy raises anything on odd input; that is "cannot tell"
            return None

    for a, b in WARM_UP:
        same(a, b)
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        try:
            request = json.loads(line)
            result = same(str(request["a"]), str(request["b"]))
        except (ValueError, KeyError, TypeError):
            result = None
        print(json.dumps({"same": result}), flush=True)


if __name__ == "__main__":
    main()
