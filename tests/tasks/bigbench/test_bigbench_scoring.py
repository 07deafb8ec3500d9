"""BBEH scoring: every normalization and matching rule, with real targets from several BBEH and BBH tasks."""

from __future__ import annotations

import math
from typing import cast

import pytest

from looplab.tasks.bigbench.data import Suite, default_data_dir, load_examples, task_file
from looplab.tasks.bigbench.scoring import (
    accuracy_report,
    extract_answer_text,
    fuzzy_match,
    harmonic_mean,
    is_correct,
    majority_answer,
    normalize,
    normalize_target,
)

# (rule, prediction, target from the data files, where the target comes from)
MATCHES = [
    # extraction: the four prefixes, the last occurrence wins
    (
        "prefix 'The answer is:'",
        "Evaluating each one... The answer is: (E)",
        "(E)",
        "bbeh boolean_expressions 0",
    ),
    (
        "prefix 'The final answer is '",
        "So it is disproved.\nThe final answer is disproved",
        "disproved",
        "bbeh boardgame_qa 0",
    ),
    (
        "prefix 'The final answer is: '",
        "Step 1 ... The final answer is: -52",
        "-52",
        "bbeh multistep_arithmetic 0",
    ),
    ("prefix 'The answer is '", "Reagent X caused it. The answer is Yes", "Yes", "bbeh causal_understanding 0"),
    (
        "last prefix wins",
        "The answer is: (A). Checking again... The answer is: (C)",
        "(C)",
        "bbeh boolean_expressions 1",
    ),
    # cleaning the extracted text
    ("trailing period", "The answer is: disproved.", "disproved", "bbeh boardgame_qa 1"),
    ("$...$", "The answer is: $36$", "36", "bbeh multistep_arithmetic 1"),
    ("\\boxed{}", "The final answer is $\\boxed{8749}$", "8749", "bbeh multistep_arithmetic 2"),
    ("\\text{}", "The answer is: \\text{Yes}", "Yes", "bbeh causal_understanding 1"),
    ("\\texttt{}", "The answer is: \\texttt{] ]}", "] ]", "bbh dyck_languages 0"),
    ("lower case", "The answer is: FALSE", "False", "bbh boolean_expressions 0"),
    ("', ' -> ','", "The answer is: no,no,no", "no, no, no", "bbeh web_of_lies 0"),
    ("', ' -> ',' in the prediction", "The answer is: 1, 1, 0", "1,1,0", "bbeh sarc_triples 0"),
    ("no **", "The answer is: **(E)**", "(E)", "bbh penguins_in_a_table 0"),
    ("first line", "The answer is: unknown\nBecause the rules conflict.", "unknown", "bbeh boardgame_qa 46"),
    # matching
    ("equal", "disproved", "disproved", "bbeh boardgame_qa 0"),
    ("'(a)' vs 'a': prediction in parentheses", "The answer is: (E)", "E", "bbeh hyperbaton 0"),
    ("'(a)' vs 'a': target in parentheses", "The answer is: E", "(E)", "bbeh geometric_shapes 0"),
    ("numbers: 404 vs 404.0", "The answer is: 404", "404.0", "bbeh buggy_tables 0"),
    ("numbers: 36.0 vs 36", "The answer is: 36.0", "36", "bbeh multistep_arithmetic 1"),
    ("single quotes", "The answer is: the strangers dog", "the stranger's dog", "bbeh linguini 6"),
    ("'[x]' vs 'x', a list", "The answer is: emma, lily", "[emma, lily]", "bbeh time_arithmetic 0"),
    ("'[x]' vs 'x'", "The answer is: ətkəbox", "[ətkəbox]", "bbeh linguini 1"),
    ("'x' vs '[x]'", "The answer is: [unanswerable]", "unanswerable", "bbeh time_arithmetic 1"),
    ("trailing '?'", "The answer is: unanswerable?", "unanswerable", "bbeh time_arithmetic 1"),
    (
        "target's trailing period (looplab)",
        "The answer is: He really cried",
        "He really cried.",
        "bbeh linguini 2",
    ),
    # option letters (looplab's addition)
    ("option label + text", "(A) The nurse is the one who was busy", "(A)", "bbh disambiguation_qa 0"),
    ("option label 'x)'", "The answer is: C) Tuesday", "(C)", "bbh disambiguation_qa 1"),
    ("'option (x)'", "The answer is: Option (B)", "(B)", "bbh date_understanding 0"),
    ("'option x'", "The answer is: option b", "(B)", "bbh date_understanding 0"),
    (
        "label for a bare-letter target",
        "The answer is: (E) tiny whittling iron thai saw",
        "E",
        "bbeh hyperbaton 0",
    ),
]

MISMATCHES = [
    ("wrong option", "The answer is: (D)", "(E)", "bbeh boolean_expressions 0"),
    ("prefix is case-sensitive", "the answer is: (E)", "(E)", "bbeh boolean_expressions 0"),
    ("wrong number", "The answer is: 52", "-52", "bbeh multistep_arithmetic 0"),
    ("option label must come first", "(B), not (A)", "(A)", "bbh disambiguation_qa 0"),
    ("an article is not an option", "a dog barked", "(A)", "bbh disambiguation_qa 0"),
    ("letters only for option targets", "(E) yes", "Yes", "bbeh causal_understanding 0"),
    ("order matters in a list", "The answer is: no, yes, no", "no, no, no", "bbeh web_of_lies 0"),
    ("'?' only at the prediction's end", "The answer is: unanswerable", "unanswerable?", "made up"),
]


@pytest.mark.parametrize(("rule", "prediction", "target", "source"), MATCHES, ids=[m[0] for m in MATCHES])
def test_rule_matches(rule: str, prediction: str, target: str, source: str) -> None:
    assert is_correct(prediction, target), f"{rule}: {prediction!r} should match {target!r} ({source})"


@pytest.mark.parametrize(("rule", "prediction", "target", "source"), MISMATCHES, ids=[m[0] for m in MISMATCHES])
def test_rule_does_not_overmatch(rule: str, prediction: str, target: str, source: str) -> None:
    assert not is_correct(prediction, target), f"{rule}: {prediction!r} should not match {target!r}"


def test_the_targets_above_are_real() -> None:
    """Each case names the file and example its target comes from; the target must be that example's."""
    for rule, _, target, source in MATCHES + MISMATCHES:
        if source == "made up":
            continue
        suite, name, index = source.split()
        example = load_examples(task_file(cast(Suite, suite), name, default_data_dir()))[int(index)]
        assert example.target == target, f"{rule}: {source} has target {example.target!r}, not {target!r}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("no prefix at all", "no prefix at all"),
        ("The answer is:   proved  ", "proved"),
        ("The final answer is: (B)", "(B)"),  # the longer prefix, not "The final answer is "
        ("The answer is: 3. The final answer is 4.", "4"),
        ("The answer is: $\\boxed{\\text{Yes}}$", "Yes"),
        ("The answer is: $x", "$x"),  # an unmatched dollar stays
    ],
)
def test_extract_answer_text(text: str, expected: str) -> None:
    assert extract_answer_text(text) == expected


def test_normalize_applies_every_step_in_order() -> None:
    assert normalize("  The answer is: **Yes, No, Unknown**.\nsecond line") == "yes,no,unknown"
    assert normalize_target(" No, Unknown, Yes ") == "no,unknown,yes"


def test_fuzzy_match_takes_normalized_strings() -> None:
    assert fuzzy_match("(e)", "e")
    assert not fuzzy_match("(E)", "e")  # case is normalize's job, not the matcher's


# --- metrics -----------------------------------------------------------------------------------------------


def test_accuracy_report_per_task_micro_and_harmonic() -> None:
    report = accuracy_report(
        {"boardgame_qa": [True, True, False, False], "hyperbaton": [True, False, False, False]}
    )
    assert report.per_task == {"boardgame_qa": 0.5, "hyperbaton": 0.25}
    assert report.counts["hyperbaton"] == (1, 4)
    assert report.micro_average == pytest.approx(3 / 8)
    assert report.harmonic_mean == pytest.approx(2 / (1 / 0.5 + 1 / 0.25))
    assert report.harmonic_mean_bbeh == pytest.approx(2 / (1 / 0.51 + 1 / 0.26))


def test_a_task_at_zero_makes_the_plain_harmonic_mean_zero_but_not_bbehs() -> None:
    report = accuracy_report({"linguini": [False, False], "boardgame_qa": [True, False]})
    assert report.harmonic_mean == 0.0
    assert report.harmonic_mean_bbeh == pytest.approx(2 / (1 / 0.01 + 1 / 0.51))
    assert report.micro_average == 0.25


def test_harmonic_mean_edge_cases() -> None:
    assert math.isnan(harmonic_mean([]))
    assert harmonic_mean([1.0, 1.0]) == 1.0
    with pytest.raises(ValueError, match="at least one result"):
        accuracy_report({"linguini": []})


def test_majority_answer_counts_targets_as_bbeh_compares_them() -> None:
    assert majority_answer(["False", "True", "false.", "True", " FALSE"]) == "False", "3 × false vs 2 × true"
    assert majority_answer(["(B)", "(A)", "(A)", "(B)"]) == "(B)", "a tie goes to the answer seen first"
    assert majority_answer(["Yes"]) == "Yes"
    with pytest.raises(ValueError, match="at least one target"):
        majority_answer([])
