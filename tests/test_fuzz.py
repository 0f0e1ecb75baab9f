"""Property-based fuzzing of case and geometry files: every mutation of a shipped file gets exit 0
or exit 2 with one line naming the file — never a traceback (bounded; the long run is
benchmarks/fuzz_inputs.py)."""

import pathlib
import random
import sys
import tempfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import fuzz  # noqa: E402

_DIR = fuzz.workspace(pathlib.Path(tempfile.mkdtemp(prefix="cqdfem-fuzz-")))


@settings(max_examples=1000, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=2 ** 32))
def test_mutated_inputs_meet_the_contract(seed):
    name, problem, _ = fuzz.one(random.Random(seed), _DIR)
    assert problem is None, f"mutant of {name} (seed {seed}): {problem}"


def test_every_shipped_file_passes_check():
    for path in fuzz.FILES:
        code, _, err = fuzz.check(path)
        assert code == 0, err


def test_the_serializer_round_trips():
    import tomllib

    for path in fuzz.FILES:
        data = tomllib.loads(path.read_text())
        assert tomllib.loads(fuzz.to_toml(data)) == data


def test_the_judge_rejects_a_bad_answer(tmp_path):
    path = tmp_path / "cases" / "x.toml"
    assert fuzz.verdict(path, 1, "") == "exit 1"
    assert fuzz.verdict(path, 2, "a\nb\n").startswith("2 lines")
    assert "does not name" in fuzz.verdict(path, 2, "key: bad\n")
    assert fuzz.verdict(path, 2, f"{path}: key: bad\n") is None
