"""The rules engine: schemes in, scored and ranked results out. Pure Python and pandas."""

from scoring.engine import Results, score
from scoring.errors import Problem, SchemeError, ScoringInputError
from scoring.explain import fmt, rule_text
from scoring.loader import load_scheme, parse_scheme, scheme_from_dict
from scoring.methods import round_half_up
from scoring.ranking import apply_ranking, rank_within_peer_group
from scoring.rollup import Part, roll_up
from scoring.scheme import Scheme

__all__ = [
    "Part",
    "Problem",
    "Results",
    "Scheme",
    "SchemeError",
    "ScoringInputError",
    "apply_ranking",
    "fmt",
    "load_scheme",
    "parse_scheme",
    "rank_within_peer_group",
    "roll_up",
    "round_half_up",
    "rule_text",
    "scheme_from_dict",
    "score",
]
