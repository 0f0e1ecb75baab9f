"""Every shipped case kind, run small through the CLI, reproduces the stored summaries
(tests/regression.py says how they were made and how to regenerate them on purpose)."""

import json
import pathlib
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import regression  # noqa: E402


@pytest.mark.parametrize("name", sorted(regression.CASES))
def test_shipped_case_reproduces_stored_summary(name, tmp_path):
    stored = regression.normalise(json.loads((regression.STORE / f"{name}.json").read_text()))
    new = regression.run(name, tmp_path / "out")
    assert sorted(new) == sorted(stored), "the run wrote other summaries (variants) than before"
    diffs = [f"{f}{d}" for f in stored for d in regression.differences(new[f], stored[f])]
    assert not diffs, "\n".join(diffs[:20])


def test_comparison_catches_a_changed_number():
    stored = {"a": {"b": [1.0, 2.0]}, "c": "x"}
    assert regression.differences({"a": {"b": [1.0, 2.0 * (1 + 1e-9)]}, "c": "x", "new": 1}, stored) == []
    assert regression.differences({"a": {"b": [1.0, 2.0 * (1 + 1e-6)]}, "c": "x"}, stored) != []
    assert regression.differences({"a": {"b": [1.0]}, "c": "x"}, stored) != []
    assert regression.differences({"a": {}, "c": "y"}, stored) != []
