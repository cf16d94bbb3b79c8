"""Reading answers: find a reply's final answer (extract), then decide whether two agree (compare).

- extract.py: a reply's final answer in layers (contract, JSON, tags, the last marked statement, short reply),
  with where it came from; structured.py (lenient JSON), markup.py, letters.py read the forms; kinds.py types it.
- compare.py: agree / disagree / undecided by kind; numbers.py, math_equivalence.py (math-verify, off the loop).
- contract.py: the answer contract a request implies (response_format schema, a prompt naming a JSON field).
- relation.py: the relation over replies (tool calls included), and grouping by it.

This is the one agreement relation of the product: cascade acceptance, the fusion agreement shortcut, debate
convergence and audits all call it. "undecided" is not "disagree": a cascade escalates on it, an audit may ask a
judge. Every reader is linear in its (bounded) input: bounds.py.
"""

from .contract import request_contract
from .extract import extract
from .model import AnswerContract, Comparison, FinalAnswer, Kind, KindChoice, Outcome
from .relation import (
    Cluster,
    Grouping,
    agreement,
    clusters,
    compare_answers,
    compare_replies,
    extract_reply,
    group,
    read_reply,
)

__all__ = [
    "AnswerContract",
    "Cluster",
    "Comparison",
    "FinalAnswer",
    "Grouping",
    "Kind",
    "KindChoice",
    "Outcome",
    "agreement",
    "clusters",
    "compare_answers",
    "compare_replies",
    "extract",
    "extract_reply",
    "group",
    "read_reply",
    "request_contract",
]
