"""Checkpoint and restart: a run killed (SIGKILL, at a seeded random step) and resumed with
`cqdfem run --resume` equals the uninterrupted run, in 1D, 2D and 3D, serially and on 2 ranks; a
checkpoint cut short is never read; another case's checkpoint is refused."""

import csv
import json
import os
import random
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from conftest import ROOT

COUPLED_1D = f"""
title = "checkpointed coupled run"
geometry = "{ROOT}/geometries/dfb-mgf2-643.toml"
kind = "coupled"
[pump]
intensity = "88 kW/cm^2"
duration = "4 us"
rise_time = "300 ns"
wavelength = "442 nm"
[film]
absorptance = 0.05
heat_model = "energy-conserving"
plqy = 0.15
emission_wavelength = "640 nm"
[threshold]
law = "t0"
at_reference = "52 kW/cm^2"
T0 = "70 K"
[thermal]
dimension = 1
end_time = "5 us"
[coupling]
steady = false
[output]
plots = false
checkpoint_interval = 1
"""

THERMAL_2D = f"""
title = "checkpointed axisymmetric heating, with field snapshots"
geometry = "{ROOT}/geometries/inorganic-mgf2.toml"
kind = "thermal"
[mesh]
spot_diameter = "40 um"
[pump]
intensity = "51 kW/cm^2"
duration = "2 us"
[film]
absorptance = 0.2
plqy = 0.15
[thermal]
dimension = 2
coordinates = "axisymmetric"
end_time = "3 us"
output_times = ["0.5 us", "1 us", "2.5 us"]
[output]
plots = false
checkpoint_interval = 2
"""


def series(directory):
    with open(directory / "timeseries.csv") as f:
        rows = list(csv.DictReader(f))
    return {k: np.array([float(r[k]) for r in rows]) for k in rows[0]}


def cqdfem(*args, ranks=None):
    cmd = [sys.executable, "-m", "cqdfem", *map(str, args)]
    return ["mpirun", "-n", str(ranks), *cmd] if ranks else cmd


def env():
    return dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))


def kill_job(p, out):
    """SIGKILL the job as a scheduler does: the launcher's process group and every process of the
    job (Open MPI puts the ranks in process groups of their own, so killing mpirun alone leaves them
    running): whatever has the job's output directory on its command line."""
    os.killpg(p.pid, signal.SIGKILL)
    p.wait()
    marker = str(out).encode()
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if marker in f.read():
                    os.kill(int(pid), signal.SIGKILL)
        except (OSError, ProcessLookupError):
            pass
    time.sleep(0.2)


def run_and_kill(case, out, at_step, ranks=None, sets=()):
    """Start the run, SIGKILL its whole process group once a checkpoint of step >= ``at_step`` is on
    disk (a later one may be half-written at that moment); returns the step of that checkpoint."""
    args = ["run", case, "-o", out, "-q"]
    for s in sets:
        args += ["--set", s]
    p = subprocess.Popen(cqdfem(*args, ranks=ranks), cwd=ROOT, env=env(), start_new_session=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    manifest = out / ".checkpoint" / "run" / "manifest.json"
    deadline = time.monotonic() + 300
    seen = None
    while time.monotonic() < deadline and p.poll() is None:
        try:
            seen = json.loads(manifest.read_text())["i"]
        except (OSError, ValueError, KeyError):
            seen = None
        if seen is not None and seen >= at_step:
            kill_job(p, out)
            return seen
        time.sleep(0.02)
    kill_job(p, out)
    raise AssertionError(f"the run ended (or timed out) before checkpoint {at_step}: {p.stderr.read()[-2000:]}")


def same(a, b, step=None):
    """Every column equal to 1e-10 relative; energies relative to the energy the pump put in (a
    boundary loss of 1e-52 J before the heat arrives is roundoff of zero, not a result)."""
    energy = max(np.abs(b.get("absorbed_energy_J", [0.0])).max(), np.abs(b.get("stored_energy_J", [0.0])).max())
    for k in b:
        scale = energy if k.endswith("_J") else np.abs(b[k]).max()
        assert np.allclose(a[k], b[k], rtol=1e-10, atol=1e-10 * scale), (k, step, np.abs(a[k] - b[k]).max())


def resumed_equals_uninterrupted(tmp_path, case_text, seed, ranks=None, resume_ranks="same", sets=()):
    case = tmp_path / "case.toml"
    case.write_text(case_text)
    ref, cut = tmp_path / "ref", tmp_path / "cut"
    args = ["run", case, "-o", ref, "-q"]
    for s in sets:
        args += ["--set", s]
    r = subprocess.run(cqdfem(*args, ranks=ranks), cwd=ROOT, env=env(), capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    n = len(series(ref)["time_s"])
    step = run_and_kill(case, cut, random.Random(seed).randint(n // 5, 3 * n // 5), ranks, sets)
    assert not (cut / "summary.json").exists()                  # killed before its results
    args = ["run", case, "-o", cut, "-q", "--resume"]
    for s in sets:
        args += ["--set", s]
    r = subprocess.run(cqdfem(*args, ranks=ranks if resume_ranks == "same" else resume_ranks), cwd=ROOT,
                       env=env(), capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    a, b = series(cut), series(ref)
    assert a.keys() == b.keys() and len(a["time_s"]) == len(b["time_s"])
    same(a, b, step)
    assert not (cut / ".checkpoint").exists()                   # removed once the results are written
    return step, cut, ref


def test_coupled_1d_killed_and_resumed_equals_uninterrupted(tmp_path):
    resumed_equals_uninterrupted(tmp_path, COUPLED_1D, seed=1)


def test_thermal_2d_with_snapshots_and_adaptive_steps(tmp_path):
    _, cut, ref = resumed_equals_uninterrupted(tmp_path, THERMAL_2D, seed=2)
    # the field snapshots taken before the kill are part of the checkpoint
    assert (cut / "temperature.xdmf").read_text().count("<Time ") == (ref / "temperature.xdmf").read_text().count("<Time ")
    adaptive = THERMAL_2D.replace("[thermal]", "[thermal]\nadaptive = true\ntolerance = 1e-4")
    (tmp_path / "a").mkdir()
    resumed_equals_uninterrupted(tmp_path / "a", adaptive, seed=3)


def test_thermal_3d_killed_and_resumed(tmp_path):
    case = (ROOT / "cases" / "flagship-3d.toml").read_text().replace('"../', f'"{ROOT}/')
    resumed_equals_uninterrupted(tmp_path, case, seed=4, sets=('thermal.end_time="0.3 us"', "output.fields=false",
                                                              "output.plots=false", "output.checkpoint_interval=1"))


def test_two_ranks_and_resume_on_another_rank_count(tmp_path):
    axi = (COUPLED_1D.replace("dimension = 1", 'dimension = 2\ncoordinates = "axisymmetric"')
           .replace("[pump]", '[mesh]\nspot_diameter = "40 um"\n[pump]'))
    resumed_equals_uninterrupted(tmp_path, axi, seed=5, ranks=2,
                                 sets=('thermal.end_time="2 us"', 'pump.duration="1.5 us"', "output.checkpoint_interval=4"))
    (tmp_path / "b").mkdir()
    # killed on 2 ranks, resumed on 1: the fields are matched by coordinate
    resumed_equals_uninterrupted(tmp_path / "b", THERMAL_2D, seed=6, ranks=2, resume_ranks=None,
                                 sets=("output.checkpoint_interval=4",))


def test_a_checkpoint_cut_short_is_never_read_and_another_case_is_refused(tmp_path, cli):
    case = tmp_path / "case.toml"
    case.write_text(COUPLED_1D)
    ref, cut = tmp_path / "ref", tmp_path / "cut"
    assert cli("run", case, "-o", ref, "-q").returncode == 0
    run_and_kill(case, cut, 40)
    ck = cut / ".checkpoint" / "run"
    manifest = json.loads((ck / "manifest.json").read_text())
    # a later checkpoint half-written when the kill came: its directory and a partial manifest
    (ck / ".step-99999.partial").mkdir(exist_ok=True)
    (ck / ".step-99999.partial" / "fields.npz").write_bytes(b"\x00" * 10)
    (ck / "manifest.json.partial").write_text('{"checkpoint": "step-99')
    r = cli("run", case, "-o", cut, "-q", "--resume")
    assert r.returncode == 0, r.stderr
    a, b = series(cut), series(ref)
    same(a, b)
    assert manifest["i"] >= 40
    # another case's checkpoint: refused in one line naming the option and the directory
    run_and_kill(case, tmp_path / "other", 10)
    r = cli("run", case, "-o", tmp_path / "other", "-q", "--resume", "--set", 'pump.intensity="90 kW/cm^2"')
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "--resume" in r.stderr and "another case" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_bad_interval_is_one_line(cli, tmp_path):
    case = tmp_path / "case.toml"
    case.write_text(COUPLED_1D.replace("checkpoint_interval = 1", "checkpoint_interval = -3"))
    r = cli("check", case)
    assert r.returncode == 2 and "output.checkpoint_interval" in r.stderr
