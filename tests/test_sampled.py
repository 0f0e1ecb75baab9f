"""Sampled runs ([uncertainty]): propagation against a closed form, the batch fast paths against the
one-at-a-time ones and the FEM loop, reproducibility (seed, ranks), and the inputs check refuses."""

import json
import tomllib

import numpy as np
import pytest

from cqdfem import coupling, model, thermal, workflows
from cqdfem.lasing import threshold as th
from cqdfem.lasing.heat import HeatModel
from cqdfem.output import read_csv

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]

# A 1 um film on 100 um of substrate, held at 295 K below, heated uniformly: the steady film top is
# 295 + Q d_f (d_f / 2 k_f + d_s / k_s), and 1D P1 elements are exact at the nodes.
Q, D_F, D_S = 1e12, 1e-6, 100e-6
STACK = """
kind = "thermal"
[materials.sub]
conductivity = 1.4
density = 2500
heat_capacity = 750
[materials.cqd]
conductivity = 0.24
density = 2633
heat_capacity = 374
[geometry]
[[geometry.layers]]
name = "substrate"
material = "sub"
thickness = "100 um"
[[geometry.layers]]
name = "film"
material = "cqd"
thickness = "1 um"
active = true
[pump]
power_density = "1e12 W/m^3"
[thermal]
dimension = 1
end_time = "1 us"
steady = true
[uncertainty]
"materials.cqd.conductivity" = "0.24 ± 0.03 W/m/K"
"materials.sub.conductivity" = "uniform(1.2, 1.6)"
fem_responses = 16
validation = 4
time_steps = 100
"""


def stack(tmp_path, extra="", name="case.toml"):
    path = tmp_path / name
    path.write_text(STACK + extra)
    return path


def steady_rise(k_f, k_s):
    return Q * D_F * (D_F / (2 * k_f) + D_S / k_s)


def test_propagation_matches_the_closed_form(tmp_path):
    m = model.load(stack(tmp_path, "samples = 256\nseed = 3\nindices = false\n"))
    r = workflows.run(m)
    table = r.tables["uq_samples.csv"]
    k_f, k_s = table["materials.cqd.conductivity [W/m/K]"], table["materials.sub.conductivity [W/m/K]"]
    exact = 295 + steady_rise(k_f, k_s)
    got = table["steady_temperature_K"]
    # per sample: the fit of R_ss over (k_f, k_s) from 16 FEM solves, validated on 4 more
    assert np.max(np.abs(got - exact) / (exact - 295)) < 5e-4
    u = r.summary["uq"]
    assert u["thermal_response"]["max_relative_error_R_ss"] < 5e-4
    assert u["thermal_response"]["fem_responses"] == 16 and u["thermal_response"]["thermal_inputs"] == 2
    # the distribution: against 10^6 plain Monte Carlo draws of the closed form
    rng = np.random.default_rng(0)
    ref = 295 + steady_rise(rng.normal(0.24, 0.03, 10**6), rng.uniform(1.2, 1.6, 10**6))
    spread = np.quantile(ref, 0.95) - np.quantile(ref, 0.05)
    q = u["outputs"]["steady_temperature_K"]
    for p in (0.05, 0.5, 0.95):
        assert q[f"p{100 * p:g}"] == pytest.approx(np.quantile(ref, p), abs=0.03 * spread)
    assert q["mean"] == pytest.approx(ref.mean(), abs=0.005 * spread)
    assert q["std"] == pytest.approx(ref.std(), rel=0.05)
    # the sampled inputs follow their laws
    assert np.mean(k_f) == pytest.approx(0.24, abs=0.003) and np.std(k_f) == pytest.approx(0.03, rel=0.05)
    assert k_s.min() >= 1.2 and k_s.max() <= 1.6


def test_sobol_indices_of_the_closed_form(tmp_path):
    # ΔT = a/k_f + b/k_s with independent inputs: the indices from the sampled run agree with those of
    # the closed form on the same design (the fit error is far below the CI)
    m = model.load(stack(tmp_path, "samples = 512\nseed = 5\n"))
    r = workflows.run(m)
    idx = r.summary["uq"]["sobol"]["steady_temperature_K"]
    # additive in the two inputs: first = total = each term's share of the variance
    rng = np.random.default_rng(0)
    g = Q * D_F * D_F / (2 * rng.normal(0.24, 0.03, 10**6))
    h = Q * D_F * D_S / rng.uniform(1.2, 1.6, 10**6)
    share = {"materials.cqd.conductivity": g.var() / (g.var() + h.var()),
             "materials.sub.conductivity": h.var() / (g.var() + h.var())}
    for key, exact in share.items():
        for which in ("first", "total"):
            lo, hi = idx[key][f"{which}_ci"]
            assert lo - 0.01 <= exact <= hi + 0.01, (key, which, exact, lo, hi)
    # the substrate decides: 100 um at ~1.4 against 1 um at 0.24
    assert idx["materials.sub.conductivity"]["total"] > 0.5 > idx["materials.cqd.conductivity"]["total"]
    conv = r.summary["uq"]["sobol_convergence"]["steady_temperature_K"]
    assert [c["n"] for c in conv] == [128, 256, 512]
    # the intervals shrink about as 1/sqrt(N): a quarter of the samples, about twice as wide
    assert 1.2 < conv[0]["max_total_ci_width"] / conv[-1]["max_total_ci_width"] < 3.5


def test_same_seed_same_table(tmp_path):
    m = model.load(stack(tmp_path, "samples = 16\n"))
    a, b = workflows.run(m), workflows.run(m)
    for k, v in a.tables["uq_samples.csv"].items():
        assert np.array_equal(v, b.tables["uq_samples.csv"][k], equal_nan=True), k
    c = workflows.run(model.load(stack(tmp_path, "samples = 16\n"), ["uncertainty.seed=2"]))
    assert not np.array_equal(a.tables["uq_samples.csv"]["steady_temperature_K"],
                              c.tables["uq_samples.csv"]["steady_temperature_K"])


@pytest.mark.mpi
def test_ranks_give_the_serial_table_bit_for_bit(tmp_path_factory):
    from mpi4py import MPI

    comm = MPI.COMM_WORLD
    tmp = comm.bcast(str(tmp_path_factory.mktemp("s")) if comm.rank == 0 else None)
    import pathlib

    path = pathlib.Path(tmp) / "case.toml"
    if comm.rank == 0:
        path.write_text(STACK + "samples = 32\nseed = 7\n")
    comm.barrier()
    m = model.load(path, ["uncertainty.fem_responses=8"])
    par = workflows.run(m, comm=comm)
    ser = workflows.run(m, comm=MPI.COMM_SELF)
    for k, v in ser.tables["uq_samples.csv"].items():
        assert np.array_equal(v, par.tables["uq_samples.csv"][k], equal_nan=True), k
    assert json.dumps(ser.summary["uq"], sort_keys=True) == json.dumps(par.summary["uq"], sort_keys=True)
    assert par.summary["timing"]["ranks"] == comm.size


def test_coupled_run_through_the_cli(tmp_path, cli):
    # the flagship, sampled small: files, columns, plots, and the inputs from the library with sources
    out = tmp_path / "uq"
    r = cli("run", "cases/microsecond-lasing-uq.toml", "-o", out, "--set", "uncertainty.samples=16",
            "--set", "uncertainty.fem_responses=8", "--set", "uncertainty.validation=2",
            "--set", "uncertainty.time_steps=200")
    assert r.returncode == 0, r.stderr
    s = json.loads((out / "summary.json").read_text())
    u = s["uq"]
    keys = [i["key"] for i in u["inputs"]]
    assert "materials.CQD-inorganic.conductivity" in keys and "film.plqy" in keys and "pump.intensity" in keys
    assert all(i["source"] for i in u["inputs"])
    assert sum(i["source"] == "case" for i in u["inputs"]) == 1          # the reabsorbed share
    assert u["evaluations"] == 16 * (len(keys) + 2)
    assert set(u["outputs"]["lasing_duration_s"]) >= {"p5", "p50", "p95", "mean", "std"}
    assert 0 <= u["measured_quantile"] <= 1
    rows = read_csv(out / "uq_samples.csv")
    assert len(rows["sample"]) == 16 and "lasing_duration_s" in rows and "film.plqy [1]" in rows
    for png in ("uq_band.png", "uq_histogram.png", "uq_sobol.png"):
        assert (out / png).stat().st_size > 10_000
    band = read_csv(out / "timeseries.csv")
    assert np.all(np.asarray(band["film_max_temperature_p5_K"]) <= np.asarray(band["film_max_temperature_p95_K"]))


def test_fast_paths_equal_one_device_at_a_time_and_the_fem_loop():
    # per-sample responses on a uniform grid (UniformResponses) = the shared StepResponse on that grid
    # (run_fast) to roundoff, = the FEM loop on the same steps (backward Euler) to solver precision
    import tomllib as tl

    from cqdfem import geometry as caselib
    from cqdfem import mesh as meshlib

    text = ('[mesh]\nfilm_cells = 4\ngrowth = 1.2\n[[layers]]\nname = "substrate"\nmaterial = "MgF2"\n'
            'thickness = "300 um"\n[[layers]]\nname = "film"\nmaterial = "CQD-inorganic"\nthickness = "120 nm"\n'
            'active = true\n')
    sm = meshlib.create(caselib.parse_geometry(tl.loads(text)))
    times = np.linspace(0, 2e-6, 401)
    law = th.T0(5.2e8, T0=71.6)
    device = coupling.Device(HeatModel(absorptance=0.2, plqy=0.15, thickness=120e-9, slope_efficiency=0.4,
                                       auger_share=0.8), law)
    pump = coupling.Pump(6.5e8, thermal.Profile(rise_time=3e-7, duration=1.5e-6))
    cols, _ = coupling.run_fem(thermal.HeatSolver(sm, scheme="euler"), device, pump, times)
    resp = coupling.step_response(thermal.HeatSolver(sm, scheme="euler"), times, drive="max", steady=False)
    fast, ev = coupling.run_fast(resp, device, pump)
    batch = coupling.BatchDevice([device] * 3)
    uni = coupling.UniformResponses(times, np.repeat(resp.rise_K_per_W_m3[None], 3, axis=0))
    T, evs = coupling.run_fast_many(uni, batch, [pump.intensity] * 3, pump.profile)
    assert np.max(np.abs(T - fast["film_drive_temperature_K"])) < 1e-9
    T_fem = np.asarray(cols["film_max_temperature_K"])
    assert np.max(np.abs(T[0] - T_fem) / (T_fem - 294.999)) < 1e-6
    assert evs[1]["lasing_stop_s"] == pytest.approx(ev["lasing_stop_s"], rel=1e-9)


def test_batch_steady_state_and_critical_pump():
    # shallow laws, a small resistance: the lasing branch folds below 1500 K, where lasing stops and the
    # film jumps to the (hotter) non-lasing branch
    rng = np.random.default_rng(2)
    devices = [coupling.Device(HeatModel(absorptance=0.2, plqy=rng.uniform(0.1, 0.3), thickness=120e-9,
                                         slope_efficiency=rng.uniform(0.4, 0.6), auger_share=rng.uniform(0, 0.5)),
                               th.T0(5.2e8 * rng.uniform(0.8, 1.2), T0=rng.uniform(60, 120))) for _ in range(6)]
    batch = coupling.BatchDevice(devices)
    R = np.full(6, 1e-14)
    for I in (rng.uniform(6e8, 2e10, 6), rng.uniform(2e10, 5e10, 6)):
        T_b, cw_b = coupling.steady_many(batch, I, R)
        for i, d in enumerate(devices):
            T, detail = coupling.steady_state(d, I[i], R[i])
            assert (T is None) == np.isnan(T_b[i])
            if T is not None:
                assert T_b[i] == pytest.approx(T, abs=1e-8)
                assert cw_b[i] == detail["lasing"]
    crit = coupling.critical_pump_many(batch, R)
    assert np.all(np.isfinite(crit))
    below, cw_below = coupling.steady_many(batch, crit * (1 - 1e-4), R)
    above, cw_above = coupling.steady_many(batch, crit * (1 + 1e-4), R)
    # the cold branch ends there: just below, a lasing steady state; just above, a jump (lasing stops)
    assert np.all(cw_below) and not np.any(cw_above)
    assert np.all(above - below > 20)


def test_critical_pump_of_a_lumped_model_at_the_analytic_fold():
    # T = T0 + R (c I + b e^{(T-T0)/θ}): tangency gives c I* = a* (coupling.lumped_fold)
    R, b, theta, c = 2e-14, 1e13, 20.0, 1.0 / 1e-7

    class Lumped:
        def __len__(self):
            return 1

        def heat_density(self, intensity, T):
            return c * np.asarray(intensity) + b * np.exp((np.asarray(T) - 295.0) / theta)

        def threshold(self, T):
            return np.full(np.shape(T), 1e30)      # never lases: one linear piece

    a_star, _ = coupling.lumped_fold(0, b, theta, R)
    assert coupling.critical_pump_many(Lumped(), R)[0] == pytest.approx(a_star / c, rel=1e-6)


BAD = [
    ('"film.plqy" = "uniform(0.2, 0.1)"', "a < b"),
    ('"film.nothing" = "± 5 %"', "not an input of this case"),
    ('"film.plqy" = 0.15', "expected a distribution string"),
    ('"materials.cqd.colour" = "± 5 %"', "cannot sample material property"),
    ('"materials.glass.conductivity" = "± 5 %"', "no material 'glass' in this case's stack"),
    ('"materials.cqd.conductivity" = "0.24 ± -0.03 W/m/K"', "positive standard deviation"),
    ('"materials.cqd.conductivity" = "0.24 ± 0.03 kg"', "expected a quantity in W/m/K"),
    ('"geometry.layers[1].thickness" = "± 100 %"', "the case is refused"),
    ('"thermal.ambient" = "uniform(-5 K, -1 K)"', "outside where the input is physical"),
    ('"pump.duration" = "± 5 %"', "does not set pump.duration"),
    ('"pump.duration" = "uniform(1 us, 2 us)"', "share one pump shape and one time grid"),
    ('samples = 0', "integer >= 4"),
    ('"output.directory" = "± 5 %"', "does not reach a sample"),
    ('"thermal.initial" = "uniform(300 K, 310 K)"', "starts at the ambient temperature"),
    ('"thermal.end_time" = "± 5 %"', "share one pump shape and one time grid"),
    ('samples = 768', "expected a power of two with Sobol indices"),
    ('fem_responses = 2', "integer >= 4"),
    ('"geometry.layers[5].thickness" = "± 5 %"', "has 2 layers"),
]


@pytest.mark.parametrize("line, message", BAD)
def test_bad_uncertainty_is_refused_by_check(tmp_path, cli, line, message):
    path = tmp_path / "bad.toml"
    key = line.split(" = ")[0]
    text = "".join(x for x in STACK.splitlines(True) if not x.startswith(key + " "))   # replaces the case's own
    path.write_text(text.replace("[uncertainty]\n", f"[uncertainty]\n{line}\n"))
    r = cli("check", path)
    assert r.returncode == 2, r.stdout + r.stderr
    assert message in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and str(path) in r.stderr


def test_anisotropic_and_unsampled_kinds_are_refused(tmp_path, cli):
    text = STACK.replace('material = "sub"', 'material = "MgF2"').replace(
        '"materials.sub.conductivity" = "uniform(1.2, 1.6)"', '"materials.MgF2.conductivity" = "30 ± 1 W/m/K"')
    (tmp_path / "a.toml").write_text(text)
    r = cli("check", tmp_path / "a.toml")
    assert r.returncode == 2 and "anisotropic" in r.stderr
    (tmp_path / "b.toml").write_text(text.replace('"30 ± 1 W/m/K"', '"± 5 %"'))
    m = model.load(tmp_path / "b.toml")
    inp = next(i for i in m.uncertainty.inputs if i.key == "materials.MgF2.conductivity")
    assert inp.factor and inp.value(1.1) == pytest.approx((23.1, 33.0))
    (tmp_path / "c.toml").write_text(STACK.replace('kind = "thermal"', 'kind = "mesh"'))
    r = cli("check", tmp_path / "c.toml")
    assert r.returncode == 2 and "no transient to sample" in r.stderr


def test_sampled_sweep_gives_probabilities_per_point(tmp_path):
    # a 1D map of 2 thresholds x 2 pump ratios, PLQY and the Fig 4a ratio uncertain (no thermal input: one
    # FEM response, exact): each point's CW probability is the share of samples whose own steady state
    # lases, which a scalar steady_state of that sample's device reproduces
    path = tmp_path / "sweep.toml"
    path.write_text("""
kind = "sweep"
geometry = "%s"
[pump]
duration = "2 us"
rise_time = "300 ns"
[film]
absorptance = 0.20
plqy = 0.15
[threshold]
law = "t0"
at_reference = "52 kW/cm^2"
fit = [["333 K", 1.7]]
[thermal]
dimension = 1
end_time = "2 us"
[sweep]
thresholds = ["0.05 kW/cm^2", "0.2 kW/cm^2"]
pump_ratios = [1.1, 2.0]
[uncertainty]
samples = 32
"film.plqy" = "uniform(0.10, 0.20)"
"threshold.fit[0][1]" = "± 0.1"
time_steps = 200
""" % (ROOT / "geometries" / "inorganic-mgf2.toml"))
    m = model.load(path)
    r = workflows.run(m)
    rows, long = r.summary["rows"], r.tables["uq_samples.csv"]
    assert len(rows) == 4 and len(long["sample"]) == 4 * 32
    assert r.summary["uq"]["thermal_response"]["exact"]
    p_any = [row["cw_lasing_probability"] for row in rows]
    assert all(0 <= p <= 1 for p in p_any) and 0 < max(p_any)
    for k, row in enumerate(rows):
        mine = np.asarray(long["cw_lasing"])[k * 32:(k + 1) * 32]        # point by point, samples within
        assert row["cw_lasing_probability"] == pytest.approx(mine.mean())
    # sample 5 at the last point, by hand: its model, its device at that threshold, the steady state
    u = m.uncertainty
    from cqdfem import uq
    from cqdfem.model import build

    A, _, _ = uq.design([i.distribution for i in u.inputs], 32, u.seed, indices=False)
    ms = build.sampler(u.table, m.path)([o for i, v in zip(u.inputs, A[5]) for o in i.overrides(v)])
    import dataclasses

    device = coupling.Device(ms.heat, dataclasses.replace(ms.law, p_ref=rows[3]["threshold_W_m2"]))
    R_ss = r.summary["uq"]["thermal_response"].get("resistance_K_per_W_m3")
    T, detail = coupling.steady_state(device, rows[3]["pump_W_m2"], R_ss)
    assert long["cw_lasing"][3 * 32 + 5] == float(bool(detail.get("lasing", False)))
    if T is not None:
        assert long["cw_steady_temperature_K"][3 * 32 + 5] == pytest.approx(T, abs=1e-6)
