"""Reading answers: find a reply's final answer (extract), then decide whether two agree (compare).

The one agreement relation of the package: cascade acceptance, the fusion agreement shortcut, debate convergence
and audits all call `compare_replies` / `clusters` / `agreement`. Outcomes are agree, disagree or undecided;
"undecided" is not "disagree": a cascade escalates on it, an audit may ask a judge.
"""

from .model import AnswerContract, Comparison, FinalAnswer, Kind, KindChoice, Outcome
from .relation import Cluster, agreement, clusters, compare_replies, extract_reply

__all__ = [
    "AnswerContract",
    "Cluster",
    "Comparison",
    "FinalAnswer",
    "Kind",
    "KindChoice",
    "Outcome",
    "agreement",
    "clusters",
    "compare_replies",
    "extract_reply",
]
