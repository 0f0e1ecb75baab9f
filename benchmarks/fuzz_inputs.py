"""The long fuzz run of bad input: N seeded mutants of the shipped case and geometry files through
`cqdfem check` (in process), each judged against the contract (exit 0, or exit 2 with one line
naming the file; never a traceback). Optionally runs a sample of the mutants `check` accepted, small
(1D, short), to find any that `run` then refuses.

    containers/fenicsx python3 benchmarks/fuzz_inputs.py --count 10000 [--runs 40] [--write benchmarks/results.md]
"""

import argparse
import collections
import pathlib
import random
import subprocess
import sys
import tempfile
import time
import traceback

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests"))
import fuzz  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--count", type=int, default=10000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--runs", type=int, default=0, help="run this many check-passing case mutants")
    p.add_argument("--write", help="append the result to this markdown file")
    a = p.parse_args()
    directory = fuzz.workspace(pathlib.Path(tempfile.mkdtemp(prefix="cqdfem-fuzz-")))
    rng = random.Random(a.seed)
    codes, problems, accepted = collections.Counter(), collections.Counter(), []
    t0 = time.perf_counter()
    for i in range(a.count):
        seed = rng.randrange(2 ** 32)
        try:
            name, problem, code = fuzz.one(random.Random(seed), directory)
        except Exception as e:             # a traceback: the contract's worst failure
            frame = traceback.extract_tb(e.__traceback__)[-1]
            name, problem, code = "?", f"traceback {type(e).__name__} at {pathlib.Path(frame.filename).name}:{frame.lineno}", "tb"
        codes[code] += 1
        if problem:
            problems[problem.split(":")[0] if problem.startswith("traceback") else problem[:80]] += 1
            print(f"seed {seed} ({name}): {problem}", flush=True)
        elif code == 0 and name.endswith(".toml") and len(accepted) < 10 * a.runs:
            accepted.append(seed)
    wall = time.perf_counter() - t0
    run_failures = []
    for seed in accepted[:a.runs]:
        name, _, _ = fuzz.one(random.Random(seed), directory)
        path = next(directory.glob(f"*/mutant-{name}"))
        if path.parent.name != "cases":
            continue
        r = subprocess.run([sys.executable, "-m", "cqdfem", "run", str(path), "-q", "-o", str(directory / "out"),
                            "--set", "thermal.dimension=1", "--set", 'thermal.end_time="0.2 us"',
                            "--set", "output.fields=false", "--set", "output.plots=false"],
                           capture_output=True, text=True, timeout=900)
        if r.returncode not in (0, 2) or "Traceback" in r.stderr:
            run_failures.append((seed, r.returncode, r.stderr.strip().splitlines()[-1:] if r.stderr else ""))
    lines = [f"- {a.count} mutants (seed {a.seed}) in {wall:.0f} s: exit 0 {codes[0]}, exit 2 {codes[2]}, "
             f"contract broken {sum(problems.values())}"
             + "".join(f"; {n}x {k}" for k, n in problems.most_common())]
    if a.runs:
        lines.append(f"- {min(a.runs, len(accepted))} check-passing case mutants run small: "
                     f"{len(run_failures)} refused or crashed after check accepted them"
                     + "".join(f"; seed {s}: exit {c} {m}" for s, c, m in run_failures))
    print("\n".join(lines))
    if a.write:
        with open(a.write, "a") as f:
            f.write(f"\n### Input fuzzing ({time.strftime('%Y-%m-%d')})\n\n" + "\n".join(lines) + "\n")
    return 1 if problems or run_failures else 0


if __name__ == "__main__":
    sys.exit(main())
