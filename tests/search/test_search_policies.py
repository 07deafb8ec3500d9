"""Each search policy's decision rule, on hand-made scores."""

from __future__ import annotations

from dataclasses import replace

from looplab.artifact import Artifact, TextParam
from looplab.config import SearchConfig
from looplab.search.greedy import Greedy, is_drop
from looplab.search.protocol import Revert, Scored, SearchState
from looplab.search.registry import make_policy


def art(text: str) -> Artifact:
    return Artifact({"p": TextParam("p", text)}, frozenset({"p"}), "w")


def state(current: Scored, best: Scored | None = None, drops: int = 0, update: int = 1) -> SearchState:
    best = best or current
    return SearchState(update, current, best, best.score, drops, (current,))


def test_registry_resolves_every_policy() -> None:
    for name in ("greedy", "ensure_improvement", "validate", "best_of_n", "beam"):
        assert make_policy(SearchConfig.model_validate({"policy": name})).name == name
    assert make_policy(SearchConfig(policy="best_of_n", n=4)).samples == 4


def test_greedy_takes_any_valid_proposal_and_keeps_current_without_one() -> None:
    policy = Greedy()
    current = Scored(art("a"), 5.0)
    worse = Scored(art("b"), 1.0)
    assert policy.decide(state(current), [worse]).current == worse
    decision = policy.decide(state(current), [])
    assert decision.current == current and not decision.accepted


def test_greedy_reverts_after_a_sustained_drop() -> None:
    policy = Greedy(revert_after=2, revert_fraction=0.8)
    best = Scored(art("best"), 10.0)
    current = Scored(art("now"), 5.0)
    drops, revert = policy.after_validation(state(current, best, drops=0), 5.0)
    assert (drops, revert) == (1, None)
    drops, revert = policy.after_validation(state(current, best, drops=2), 5.0)
    assert revert is not None and revert.to == best and drops == 0
    drops, revert = policy.after_validation(state(current, best, drops=2), 9.0)
    assert (drops, revert) == (0, None)


def test_drop_is_measured_on_the_size_of_negative_scores() -> None:
    assert is_drop(-15.0, -10.0, 0.8)  # worse than -12
    assert not is_drop(-11.0, -10.0, 0.8)
    assert is_drop(7.0, 10.0, 0.8) and not is_drop(8.0, 10.0, 0.8)


def test_ensure_improvement_and_validate() -> None:
    current = Scored(art("a"), 0.5)
    equal, better, worse = Scored(art("b"), 0.5), Scored(art("c"), 0.7), Scored(art("d"), 0.2)
    ensure = make_policy(SearchConfig(policy="ensure_improvement"))
    assert ensure.decide(state(current), [equal]).accepted
    assert not ensure.decide(state(current), [worse]).accepted
    validate = make_policy(SearchConfig(policy="validate"))
    assert not validate.decide(state(current), [equal]).accepted
    assert validate.decide(state(current), [better]).current == better


def test_best_of_n_takes_the_best() -> None:
    policy = make_policy(SearchConfig(policy="best_of_n", n=3))
    a, b, c = Scored(art("a"), 0.1), Scored(art("b"), 0.9), Scored(art("c"), 0.4)
    assert policy.decide(state(Scored(art("x"), 1.0)), [a, b, c]).current == b


def test_beam_keeps_the_width_best_and_rotates_parents() -> None:
    policy = make_policy(SearchConfig(policy="beam", n=2))
    start = Scored(art("s"), 0.2)
    first = policy.decide(state(start), [Scored(art("a"), 0.5)])
    assert [s.score for s in first.beam] == [0.5, 0.2]
    after = SearchState(2, first.current, first.current, 0.5, 0, first.beam)
    second = policy.decide(after, [Scored(art("b"), 0.1)])
    assert [s.score for s in second.beam] == [0.5, 0.2] and not second.accepted
    assert policy.parent(SearchState(3, first.current, first.current, 0.5, 0, first.beam)) == first.beam[1]


def test_revert_on_error_goes_back_to_the_last_error_free_artifact() -> None:
    clean, crashed = Scored(art("clean"), 0.4), Scored(art("crashed"), 0.9)
    erring = replace(state(crashed), current_errors=2, last_clean=clean)
    for name in ("greedy", "ensure_improvement", "validate", "best_of_n"):
        policy = make_policy(SearchConfig.model_validate({"policy": name, "revert_on_error": True}))
        drops, revert = policy.after_validation(erring, 0.9)
        assert revert is not None and revert.to == clean and drops == 0, name
        assert "2 item(s) with an error" in revert.reason and "(validation 0.4)" in revert.reason
        assert policy.after_validation(replace(erring, current_errors=0), 0.9) == (0, None), name
        assert policy.after_validation(replace(erring, last_clean=None), 0.9)[1] is None, name
        off = make_policy(SearchConfig.model_validate({"policy": name}))
        assert off.after_validation(erring, 0.9)[1] is None, name


def test_greedy_checks_errors_before_drops() -> None:
    policy = Greedy(revert_after=1, revert_on_error=True)
    best, clean, crashed = Scored(art("best"), 10.0), Scored(art("clean"), 6.0), Scored(art("x"), 1.0)
    erring = replace(state(crashed, best, drops=3), current_errors=1, last_clean=clean)
    revert = policy.after_validation(erring, 1.0)[1]
    assert isinstance(revert, Revert) and revert.to == clean and "error-free" in revert.reason
    drop = policy.after_validation(replace(erring, current_errors=0), 1.0)[1]
    assert drop is not None and drop.to == best
