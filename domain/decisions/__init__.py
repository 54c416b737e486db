"""Decisions: which channel and which time reach a client best, learned from outcomes.

Pure functions over plain inputs (rules, client contact data and blocks, recency-weighted success
counts): no I/O, no clock reads, randomness only from an injected seed. See docs/decisions.md.
"""

from domain.decisions.channels import (
    ChannelOption,
    ChannelRanking,
    ExcludedChannel,
    Exclusion,
    RankedChannel,
    has_contact_data,
    rank_channels,
)
from domain.decisions.evidence import (
    DecisionSettings,
    Estimate,
    Evidence,
    Level,
    Tally,
    estimate,
    recency_weight,
)
from domain.decisions.measures import DEFAULT_OBJECTIVE, Measure, counts, is_delivered, is_response, succeeded
from domain.decisions.policy import (
    Action,
    Decision,
    DecisionMemo,
    DecisionRequest,
    Mode,
    decide,
    decide_many,
    seed_for,
)
from domain.decisions.timing import Cell, SendingWindow, Slot, TimeChoice, allowed_slots, choose_time

__all__ = [
    "DEFAULT_OBJECTIVE",
    "Action",
    "Cell",
    "ChannelOption",
    "ChannelRanking",
    "Decision",
    "DecisionMemo",
    "DecisionRequest",
    "DecisionSettings",
    "Estimate",
    "Evidence",
    "ExcludedChannel",
    "Exclusion",
    "Level",
    "Measure",
    "Mode",
    "RankedChannel",
    "SendingWindow",
    "Slot",
    "Tally",
    "TimeChoice",
    "allowed_slots",
    "choose_time",
    "counts",
    "decide",
    "decide_many",
    "estimate",
    "has_contact_data",
    "is_delivered",
    "is_response",
    "rank_channels",
    "recency_weight",
    "seed_for",
    "succeeded",
]
