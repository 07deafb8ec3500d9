"""Loading candidate sources into one namespace, and describing their failures for the optimizer."""

from __future__ import annotations

import linecache

import pytest

from looplab.sandbox.candidate import error_info, load_functions


def test_functions_share_one_namespace_across_parameters() -> None:
    functions = load_functions(
        {
            "helper": "def double(x):\n    return 2 * x\n",
            "policy": "from os.path import join\n\ndef act(x):\n    return double(x) + 1\n",
        }
    )
    assert sorted(functions) == ["act", "double"]  # `join` was imported, not defined by a candidate
    assert functions["act"](3) == 7


def test_sources_are_registered_for_tracebacks() -> None:
    functions = load_functions({"policy": "def act(x):\n    return 1 / x\n"})
    assert linecache.getline("<param:policy>", 2) == "    return 1 / x\n"
    with pytest.raises(ZeroDivisionError) as caught:
        functions["act"](0)
    info = error_info(caught.value)
    assert info.kind == "exception"
    assert info.error_type == "ZeroDivisionError"
    assert info.message == "division by zero"
    assert '"<param:policy>", line 2, in act' in info.traceback_tail
    assert "return 1 / x" in info.traceback_tail
    assert "test_sandbox_candidate.py" not in info.traceback_tail  # the caller's frames are noise


def test_a_syntax_error_propagates_and_points_at_the_line() -> None:
    with pytest.raises(SyntaxError) as caught:
        load_functions({"policy": "def act(x):\n    return (x +\n"})
    info = error_info(caught.value)
    assert info.error_type == "SyntaxError"
    assert info.traceback_tail.startswith('  File "<param:policy>", line 2')


def test_an_error_at_exec_time_propagates() -> None:
    with pytest.raises(NameError, match="undefined_name"):
        load_functions({"policy": "limit = undefined_name\n"})


def test_library_frames_between_candidate_frames_are_elided() -> None:
    functions = load_functions({"policy": "import json\n\ndef act():\n    return json.loads('{bad')\n"})
    with pytest.raises(ValueError) as caught:
        functions["act"]()
    tail = error_info(caught.value, max_lines=40).traceback_tail
    assert "json.loads('{bad')" in tail
    assert "frame(s) in library code" in tail
    assert tail.splitlines()[-1].startswith("json.decoder.JSONDecodeError")


def test_the_tail_is_cut_to_max_lines() -> None:
    functions = load_functions({"policy": "def act(n):\n    return act(n - 1) if n else 1 / 0\n"})
    with pytest.raises(ZeroDivisionError) as caught:
        functions["act"](30)
    info = error_info(caught.value, kind="exception", max_lines=5)
    assert len(info.traceback_tail.splitlines()) == 5
    assert info.traceback_tail.endswith("ZeroDivisionError: division by zero")


def test_an_error_without_candidate_frames_keeps_its_traceback() -> None:
    try:
        int("nope")
    except ValueError as error:
        info = error_info(error, kind="exit")
    assert info.kind == "exit"
    assert "test_sandbox_candidate.py" in info.traceback_tail
