"""Shipped cases at a small size, run through the CLI, their summaries compared with stored ones.

The stored summaries (tests/data/regression/*.json) were written by the code before the model/
workflow restructuring; a restructuring must reproduce them. Regenerate (only when a physics change
is intended, and say so in the commit):

    containers/fenicsx python3 tests/regression.py --write [--tree CHECKOUT] [--only NAME,NAME]

History: coupled-variants and sweep-variants were regenerated when the flagship moved to the stack
consistent with 643 nm, absorptance from optics and the energy-conserving heat model (the sweep's
old numbers are reproduced exactly with --set film.stimulated_absorbed_fraction=1). coupled-variants
was regenerated again when the flagship turned optics in the loop on (the DFB threshold's detuning
and Γ(T); lasing durations −0.03 %; the old numbers come back with --set optics.in_loop=false), and
once more when its line table went to 25 K steps with each line converged to 1e-15 m (was 1e-12 m:
the line shifts moved by 3e-4 relative).

Compared: every number of summary.json (and of each variant's), except what describes the run
rather than its result: wall times, versions, file paths and the echoed input (``case``).
"""

import json
import math
import os
import pathlib
import re
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parents[1]
STORE = HERE / "tests" / "data" / "regression"
ROOT = HERE          # the tree whose code runs (--tree DIR: another checkout, e.g. the code before a change)

# name: (case file, --set overrides that make it small)
CASES = {
    "mesh-2d": ("dfb-mesh.toml", []),
    "thermal-1d-variants": ("fig4b-film-heating.toml", ['thermal.end_time="1 us"']),
    "thermal-3d": ("flagship-3d.toml", ['thermal.end_time="0.2 us"', "output.fields=false"]),
    "thermal-thermo-optic": ("thermo-optic-drift.toml", ['thermal.end_time="0.5 us"']),
    "coupled-variants": ("microsecond-lasing.toml", ['thermal.end_time="1 us"']),
    "sweep-variants": ("path-to-cw.toml", ['thermal.end_time="2 us"', 'pump.duration="2 us"']),
    "modes-slab-variants": ("fig1c-confinement.toml", []),
    "modes-bragg": ("dfb-bragg.toml", []),
    "modes-vector": ("ridge-vector-modes.toml", []),
}

# keys whose values describe the run, not its result
SKIP = {"versions", "wall_time_s", "timing", "case", "file", "directory", "fem_response_s", "sweep_s",
        "per_point_ms", "messages"}


def normalise(obj):
    if isinstance(obj, dict):
        return {k: normalise(v) for k, v in obj.items() if k not in SKIP}
    if isinstance(obj, list):
        return [normalise(v) for v in obj]
    if isinstance(obj, str):      # where the checkout lives is not a result
        return re.sub(r"\S*/(geometries|cases)/", r"\1/", obj)
    return obj


def summaries(outdir):
    """{relative path: normalised summary} of a run directory (variants in subdirectories)."""
    return {str(p.relative_to(outdir)): normalise(json.loads(p.read_text()))
            for p in sorted(outdir.rglob("summary.json"))}


def run(name, outdir):
    case, sets = CASES[name]
    args = [sys.executable, "-m", "cqdfem", "run", str(ROOT / "cases" / case), "-o", str(outdir), "-q"]
    for s in sets:
        args += ["--set", s]
    r = subprocess.run(args, capture_output=True, text=True, cwd=ROOT,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    if r.returncode != 0:
        raise RuntimeError(f"{name}: exit {r.returncode}\n{r.stderr[-3000:]}")
    return summaries(outdir)


def differences(a, b, path="", rtol=1e-7, atol=1e-12):
    """Human-readable list of where ``a`` (new) and ``b`` (stored) differ (keys ``a`` adds are fine:
    a summary may grow, what it held must not change)."""
    out = []
    if isinstance(b, dict):
        if not isinstance(a, dict):
            return [f"{path}: expected a table"]
        for k in b:
            if k not in a:
                out.append(f"{path}.{k}: missing")
            else:
                out += differences(a[k], b[k], f"{path}.{k}", rtol, atol)
    elif isinstance(b, list):
        if not isinstance(a, list) or len(a) != len(b):
            return [f"{path}: expected a list of {len(b)}"]
        for i, (x, y) in enumerate(zip(a, b)):
            out += differences(x, y, f"{path}[{i}]", rtol, atol)
    elif isinstance(b, float) and isinstance(a, (int, float)) and not isinstance(a, bool):
        if not math.isclose(a, b, rel_tol=rtol, abs_tol=atol):
            out.append(f"{path}: {a!r} != stored {b!r}")
    elif a != b:
        out.append(f"{path}: {a!r} != stored {b!r}")
    return out


if __name__ == "__main__":
    if "--write" not in sys.argv:
        sys.exit("usage: regression.py --write [--tree DIR]   (regenerates tests/data/regression)")
    if "--tree" in sys.argv:
        ROOT = pathlib.Path(sys.argv[sys.argv.index("--tree") + 1]).resolve()
    STORE.mkdir(parents=True, exist_ok=True)
    only = sys.argv[sys.argv.index("--only") + 1].split(",") if "--only" in sys.argv else CASES
    for name in only:
        with tempfile.TemporaryDirectory() as d:
            s = run(name, pathlib.Path(d) / "out")
        (STORE / f"{name}.json").write_text(json.dumps(s, indent=1, sort_keys=True) + "\n")
        print(f"wrote {name}: {len(s)} summaries")
