"""How good are the decisions? Replay against a known truth, and a simulated live loop.

Replay: for held-out clients, the true success probability of the automatic choice (channel and
time) beside the oracle's best allowed choice and two baselines: the rule's fixed priority sent
now, and the globally best channel at the globally best hour.

Live loop: decide -> outcome drawn from the truth -> learn, day after day, with exploration and a
holdout on; cumulative regret against the oracle, and the lift the holdout and the off-policy
estimates report beside the true lift.

    python -m bench.decisions [--clients 6000] [--days 21] [--per-day 150] [--record]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import mean

from bench.decision_world import NOW, ClientFacts, Counters, Truth, make_clients, make_truth
from domain.clients import Client
from domain.decisions import (
    ChannelOption,
    Decision,
    DecisionSettings,
    SendingWindow,
    decide,
    rank_channels,
    seed_for,
)
from domain.decisions.evaluation import LoggedDecision, holdout_lift_of, off_policy_lift
from domain.decisions.timing import allowed_slots, slot_grid
from domain.dictionaries import ChannelKind
from domain.organisation import WorkingDay
from domain.rules import Rule

ROOT = Path(__file__).resolve().parent.parent
OPTIONS = (
    ChannelOption(1, ChannelKind.SMS),
    ChannelOption(2, ChannelKind.EMAIL),
    ChannelOption(3, ChannelKind.MESSENGER),
    ChannelOption(4, ChannelKind.CALL),
)
RULE = Rule(
    id=1, department_id=1, name="bench", channel_priority=[1, 2, 3, 4], create_time=NOW, update_time=NOW
)
HOURS = tuple(
    WorkingDay(d, datetime.min.time().replace(hour=9), datetime.min.time().replace(hour=21)) for d in range(6)
)


def client_of(facts: ClientFacts) -> Client:
    return Client(
        id=facts.client_id,
        phones=["+79990000001"],
        email="c@example.com" if facts.has_email else None,
        social_media={"telegram": "@c"},
        time_zone=facts.zone,
        create_time=NOW,
        update_time=NOW,
    )


def window_of(facts: ClientFacts) -> SendingWindow:
    return SendingWindow(time_zone=facts.zone, working_hours=HOURS)


@dataclass(frozen=True)
class Choices:
    auto: float
    oracle: float
    rule: float
    global_best: float
    decision: Decision


def choose(
    facts: ClientFacts, counters: Counters, truth: Truth, start: datetime, config: DecisionSettings, seed: int
) -> Choices | None:
    client, window = client_of(facts), window_of(facts)

    def ranking(personal: bool, group: bool):  # type: ignore[no-untyped-def]
        return rank_channels(
            channels=OPTIONS,
            rule=RULE,
            type_id=1,
            client=client,
            blocks=(),
            now=start,
            permitted=None,
            evidence=counters.channel_evidence(facts, personal=personal, group=group),
            settings=config,
        )

    mine = ranking(True, True)
    slots = allowed_slots(window, start, timedelta(days=config.horizon_days))
    decision = decide(
        ranking=mine,
        window=window,
        start=start,
        slot_evidence=counters.slot_evidence(facts),
        settings=config,
        seed=seed,
        slots=slots,
    )
    if decision is None:
        return None
    reachable = [c.channel_id for c in mine.ranked]
    oracle = max(truth.of(facts.segment, c, s.at) for c in reachable for s in slots)
    rule = truth.of(facts.segment, decision.rule_action.channel_id, decision.rule_action.at)
    overall = ranking(False, False)
    plain = DecisionSettings(objective=config.objective, half_life_days=config.half_life_days)
    global_decision = decide(
        ranking=overall,
        window=window,
        start=start,
        slot_evidence=counters.slot_evidence(facts, personal=False, group=False),
        settings=plain,
        seed=seed,
        slots=slots,
    )
    assert global_decision is not None
    return Choices(
        auto=truth.of(facts.segment, decision.channel_id, decision.time.at),
        oracle=oracle,
        rule=rule,
        global_best=truth.of(facts.segment, global_decision.channel_id, global_decision.time.at),
        decision=decision,
    )


def bucket(facts: ClientFacts) -> str:
    past = len(facts.history)
    return "no history" if past == 0 else ("1-19 past" if past < 20 else ">= 20 past")


def replay(
    clients: list[ClientFacts], truth: Truth, config: DecisionSettings, rng: random.Random
) -> dict[str, list[Choices]]:
    held_out = [c for c in clients if c.client_id % 5 == 0]
    counters = Counters(config.half_life_days, NOW)
    for facts in clients:
        for channel_id, moment, success in facts.history:
            counters.add(facts, channel_id, moment, success)
    results: dict[str, list[Choices]] = {"no history": [], "1-19 past": [], ">= 20 past": []}
    for facts in held_out:
        start = NOW + timedelta(minutes=rng.randrange(72 * 60))
        choices = choose(facts, counters, truth, start, config, seed_for("replay", facts.client_id))
        if choices is not None:
            results[bucket(facts)].append(choices)
    return results


@dataclass
class LiveFigures:
    regret_by_week: list[tuple[int, float, float]]
    """(day, cumulative regret, mean regret per decision that week)."""
    decisions: int
    true_lift: float
    holdout: str
    ips: str
    dr: str


def live_loop(
    clients: list[ClientFacts],
    truth: Truth,
    config: DecisionSettings,
    rng: random.Random,
    days: int,
    per_day: int,
) -> LiveFigures:
    counters = Counters(config.half_life_days, NOW)
    for facts in clients:
        for channel_id, moment, success in facts.history:
            counters.add(facts, channel_id, moment, success)
    logs: list[LoggedDecision] = []
    true_gain: list[float] = []
    regret, week_regret, weekly = 0.0, [], []
    for day in range(days):
        outcomes = []
        for n in range(per_day):
            facts = rng.choice(clients)
            start = NOW + timedelta(days=day, minutes=rng.randrange(24 * 60))
            choices = choose(facts, counters, truth, start, config, seed_for("live", day, n))
            if choices is None:
                continue
            decision = choices.decision
            success = rng.random() < choices.auto
            loss = choices.oracle - choices.auto
            regret += loss
            week_regret.append(loss)
            rule_grid = slot_grid(
                counters.slot_evidence(facts)[decision.rule_action.channel_id],
                config,
                next(
                    c.estimate.rate
                    for c in decision.ranking.ranked
                    if c.channel_id == decision.rule_action.channel_id
                ),
            )
            rule_local = decision.rule_action.at.astimezone(window_of(facts).zone)
            logs.append(
                LoggedDecision(
                    reward=float(success),
                    propensity=decision.propensity,
                    matches_rule=decision.action == decision.rule_action,
                    held_out=decision.mode.value == "holdout",
                    predicted_chosen=decision.time.rate,
                    predicted_rule=rule_grid[rule_local.weekday()][rule_local.hour].rate,
                )
            )
            if decision.mode.value != "holdout":
                true_gain.append(choices.auto - choices.rule)
            outcomes.append((facts, decision.channel_id, decision.time.at, success))
        for facts, channel_id, moment, success in outcomes:
            counters.add(facts, channel_id, moment, success)
        if (day + 1) % 7 == 0 or day + 1 == days:
            weekly.append((day + 1, regret, mean(week_regret) if week_regret else 0.0))
            week_regret = []
    held = holdout_lift_of(logs)
    ips, dr = off_policy_lift(logs, robust=False), off_policy_lift(logs, robust=True)

    def show(lift) -> str:  # type: ignore[no-untyped-def]
        d = lift.difference
        rates = f"auto {lift.auto_rate:.3f} vs rule {lift.rule_rate:.3f}"
        return f"{d.value:+.3f} [{d.low:+.3f}, {d.high:+.3f}] ({rates})"

    return LiveFigures(weekly, len(logs), mean(true_gain), show(held), show(ips), show(dr))


def machine() -> str:
    load = os.getloadavg()[0]
    shared = "shared with other engineers' work"
    return f"{os.cpu_count()} cores (load average {load:.1f}, {shared}), Python {platform.python_version()}"


def report(
    args: argparse.Namespace, replayed: dict[str, list[Choices]], live: LiveFigures, seconds: float, host: str
) -> str:
    lines = [
        f"### Decisions against a known truth — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"`python -m bench.decisions --clients {args.clients} --days {args.days} --per-day {args.per_day} "
        f"--seed {args.seed}` on {platform.node() or 'this machine'}: {host}; {seconds:.0f} s in all. "
        f"Truth: response probability per segment (4) x channel (4) x local weekday x local hour; clients in "
        f"5 time zones, 0 to 90 past communications each over a year (channels at random, local hours 8-21). "
        f"Department hours Mon-Sat 09-21 client time, 7-day horizon, half-life 180 days, default thresholds. "
        f"Replay on every fifth client (held out: its own history is its only client-level data).",
        "",
        "| held-out clients | n | auto / oracle | rule now / oracle | global best / oracle "
        "| auto vs rule | auto vs global |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, rows in replayed.items():
        if not rows:
            continue
        oracle = mean(r.oracle for r in rows)
        auto, rule, best = (
            mean(r.auto for r in rows),
            mean(r.rule for r in rows),
            mean(r.global_best for r in rows),
        )
        lines.append(
            f"| {name} | {len(rows)} | {auto / oracle:.3f} | {rule / oracle:.3f} | {best / oracle:.3f} "
            f"| {auto / rule:.2f}x | {auto / best:.2f}x |"
        )
    lines += [
        "",
        f"Live loop: {live.decisions:,} decisions over {args.days} days ({args.per_day} a day, clients "
        f"drawn at random), exploration share {args.explore}, holdout share {args.holdout}, "
        "learning after each day.",
        "",
        "| after day | cumulative regret | mean regret per decision that week |",
        "|---:|---:|---:|",
        *(f"| {day} | {total:.1f} | {per:.4f} |" for day, total, per in live.regret_by_week),
        "",
        f"True lift of auto over the rule on the same traffic: {live.true_lift:+.3f}. "
        "Reported (95 % intervals):",
        f"holdout {live.holdout}; off-policy IPS {live.ips}; doubly robust {live.dr}.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=6000)
    parser.add_argument("--days", type=int, default=21)
    parser.add_argument("--per-day", type=int, default=150)
    parser.add_argument("--explore", type=float, default=0.1)
    parser.add_argument("--holdout", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--record", action="store_true", help="append the tables to bench/RESULTS.md")
    args = parser.parse_args()
    host = machine()
    started = time.perf_counter()
    rng = random.Random(args.seed)
    truth = make_truth(rng)
    clients = make_clients(rng, truth, args.clients)
    replayed = replay(clients, truth, DecisionSettings(), rng)
    live_config = DecisionSettings(exploration_share=args.explore, holdout_share=args.holdout)
    live = live_loop(clients, truth, live_config, rng, args.days, args.per_day)
    text = report(args, replayed, live, time.perf_counter() - started, host)
    print(text)
    if args.record:
        with (ROOT / "bench" / "RESULTS.md").open("a") as out:
            out.write("\n" + text + "\n")


if __name__ == "__main__":
    main()
