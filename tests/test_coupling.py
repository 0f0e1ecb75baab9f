"""The runaway loop: events against closed forms, the superposition fast path against the FEM loop,
the fold of a lumped model, serial vs 2 ranks."""

import json
import math
import tomllib

import numpy as np
import pytest

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]
from scipy import integrate, optimize
from scipy.special import erf

from cqdfem import geometry as caselib
from cqdfem import coupling, thermal
from cqdfem import mesh as meshlib
from cqdfem.lasing import threshold as th
from cqdfem.lasing.heat import HeatModel
from cqdfem.output import read_csv

K, RHO, CP = 30.0, 3180.0, 1003.0
RHOC, ALPHA = RHO * CP, K / (RHO * CP)
SOLID = f"{{ conductivity = {K}, density = {RHO}, heat_capacity = {CP} }}"


def half_space(d="1 um", film_cells=8):
    text = (f'[mesh]\nfilm_cells = {film_cells}\ngrowth = 1.2\n[[layers]]\nname = "substrate"\nmaterial = {SOLID}\n'
            f'thickness = "300 um"\n[[layers]]\nname = "film"\nmaterial = {SOLID}\nthickness = "{d}"\nactive = true\n')
    g = caselib.parse_geometry(tomllib.loads(text))
    return g, meshlib.create(g)


def _exact_stop(law, d, A, I):
    """When the film top (the layer-source closed form) reaches the law's temperature at I."""
    Q = A * I / d
    T_stop = law.temperature_at(I)

    def top(t):
        return 295 + Q / RHOC * integrate.quad(lambda tau: erf(d / (2 * math.sqrt(ALPHA * tau))), 0, t)[0]

    return optimize.brentq(lambda t: top(t) - T_stop, 1e-10, 1e-4, xtol=1e-16)


def test_stop_time_matches_the_closed_form():
    # PLQY 0 and no stimulated share: the heat is A·I whatever the lasing state, so the film top
    # follows the layer-source closed form and lasing stops where T0's inverse says (295 + 40
    # ln(2/1.2) = 315.4 K), at a time we can compute exactly.
    d, A, I = 1e-6, 0.5, 2e9
    law = th.T0(1.2e9, T0=40.0)
    device = coupling.Device(HeatModel(absorptance=A, plqy=0.0, thickness=d), law)
    exact = _exact_stop(law, d, A, I)
    g, sm = half_space()
    stops = []
    for ratio in (0.1, 0.05, 0.025):
        solver = thermal.HeatSolver(sm)
        pump = coupling.Pump(I, thermal.Profile())
        _, ev = coupling.run_fem(solver, device, pump, thermal.time_grid(3 * exact, 1e-10, ratio))
        assert ev["lasing_start_s"] == 0.0
        stops.append(ev["lasing_stop_s"])
    # within the mesh's error of the exact time (0.2 % at 8 cells through the film, falling with them)
    assert stops[-1] == pytest.approx(exact, rel=3e-3)
    # and independent of the step: the steps near the event are 10, 5 and 2.5 % of t long, the
    # located times agree to far better than that
    assert max(stops) - min(stops) < 1e-3 * exact


def test_stop_time_converges_when_film_grading_and_steps_refine_together():
    """cqdfem.verification.loop_stop_time (also the V&V page): refining the film's cells, the
    substrate's grading and the steps together converges at order 2 (P1, BDF2), past the ~7e-4 where
    refining the film alone stalls."""
    from cqdfem import verification

    study = verification.loop_stop_time()
    # the study's closed form against this file's own
    assert study.exact == pytest.approx(_exact_stop(th.T0(1.2e9, T0=40.0), 1e-6, 0.5, 2e9), rel=1e-9)
    assert all(1.8 < o < 2.2 for o in study.orders), study.orders
    assert study.errors[-1] < 1e-4


def test_constant_threshold_never_stops():
    g, sm = half_space()
    device = coupling.Device(HeatModel(absorptance=0.2, plqy=0.15, thickness=1e-6, slope_efficiency=0.3),
                             th.T0(5e8, T0=1e12))
    cols, ev = coupling.run_fem(thermal.HeatSolver(sm), device,
                                coupling.Pump(8.8e8, thermal.Profile(rise_time=1e-7)), thermal.time_grid(1e-6))
    assert ev["lasing_stop_s"] is None
    assert ev["lasing_start_s"] == pytest.approx(1e-7 * 5 / 8.8, rel=1e-6)   # the ramp crosses 5/8.8
    assert ev["lasing_duration_s"] == pytest.approx(1e-6 - ev["lasing_start_s"])
    assert not ev["runaway"]


def test_fast_path_equals_the_fem_loop():
    # Uniform steps, backward Euler: the discrete heat problem is linear and time-invariant, so the
    # superposition of one step response reproduces the FEM loop to solver precision, feedback and all.
    g, sm = half_space("120 nm", film_cells=4)
    law = th.T0(5.2e8, T0=71.6)
    device = coupling.Device(HeatModel(absorptance=0.2, plqy=0.15, thickness=120e-9, slope_efficiency=0.4,
                                       auger_share=0.8), law)
    pump = coupling.Pump(6.5e8, thermal.Profile(duration=1.5e-6))
    times = np.linspace(0, 2e-6, 401)
    cols, ev_fem = coupling.run_fem(thermal.HeatSolver(sm, scheme="euler"), device, pump, times)
    response = coupling.step_response(thermal.HeatSolver(sm, scheme="euler"), times, drive="max", steady=False)
    fast, ev_fast = coupling.run_fast(response, device, pump)
    T_fem = np.asarray(cols["film_max_temperature_K"])
    T_fast = fast["film_drive_temperature_K"]
    assert np.max(np.abs(T_fast - T_fem) / (T_fem - 294.999)) < 1e-6
    assert ev_fast["lasing_stop_s"] == pytest.approx(ev_fem["lasing_stop_s"], rel=1e-6)
    assert ev_fem["lasing_stop_s"] is not None and ev_fem["lasing_stop_s"] < 1.5e-6


def test_runaway_is_the_feedback():
    # Strong feedback: most of the absorbed power leaves as stimulated emission at first, and a
    # steep threshold law takes that away as the film warms, so the heating accelerates. The same
    # device without the stimulated share (no feedback) heats ever more slowly: no runaway.
    g, sm = half_space("120 nm", film_cells=4)
    law = th.T0(2e8, T0=10.0)
    pump = coupling.Pump(1e9, thermal.Profile())
    times = thermal.time_grid(2e-6, 1e-10, 0.05)
    found = {}
    R = coupling.steady_resistance(thermal.HeatSolver(sm))
    for eta in (0.65, 0.0):
        device = coupling.Device(HeatModel(absorptance=0.5, plqy=0.0, thickness=120e-9, slope_efficiency=eta), law)
        _, ev = coupling.run_fem(thermal.HeatSolver(sm), device, pump, times, resistance=R)
        found[eta] = ev
    assert found[0.65]["runaway"] and found[0.65]["lasing_start_s"] == 0.0
    assert found[0.65]["runaway_time_s"] < found[0.65]["lasing_stop_s"] * 1.5
    assert not found[0.0]["runaway"]


def test_fold_of_a_lumped_model_at_the_analytic_critical_pump():
    # T = T0 + R (c I + b e^{(T-T0)/θ}): tangency gives the critical pump c I* = a*.
    R, b, theta, c = 2e-14, 1e13, 20.0, 1.0 / 1e-7

    class Lumped:
        def heat_density(self, intensity, T):
            return c * intensity + b * np.exp((np.asarray(T) - 295.0) / theta)

        threshold = th.T0(1e9, T0=70.0)

    a_star, dT_star = coupling.lumped_fold(0, b, theta, R)
    I_star = a_star / c
    crit = coupling.critical_pump(Lumped(), R, 0.1 * I_star, 10 * I_star)
    assert crit == pytest.approx(I_star, rel=1e-5)
    below, _ = coupling.steady_state(Lumped(), 0.99 * I_star, R)
    assert below is not None and below - 295 < dT_star
    assert coupling.steady_state(Lumped(), 1.01 * I_star, R)[0] is None
    branch = coupling.continuation(Lumped(), R, np.linspace(0.15, 1.25, 12) * I_star)
    assert all(T is not None for T in branch[:9]) and all(T is None for T in branch[9:])
    assert np.all(np.diff([T for T in branch if T is not None]) > 0)


COUPLED = """
title = "small coupled case"
kind = "coupled"
[geometry]
[geometry.domain]
width = "60 um"
[geometry.mesh]
dimension = 2
coordinates = "axisymmetric"
spot_diameter = "20 um"
[[geometry.layers]]
name = "substrate"
material = "MgF2"
thickness = "60 um"
[[geometry.layers]]
name = "film"
material = "CQD-inorganic"
thickness = "120 nm"
active = true
[pump]
intensity = "90 kW/cm^2"
duration = "1 us"
rise_time = "100 ns"
[film]
absorptance = 0.2
plqy = 0.15
slope_efficiency = 0.3
[threshold]
law = "t0"
at_reference = "52 kW/cm^2"
fit = [["333 K", 1.7]]
[thermal]
end_time = "1.2 us"
output_times = ["0.5 us", "1.2 us"]
"""


def test_coupled_run_contract_and_two_ranks(tmp_path, cli):
    case = tmp_path / "coupled.toml"
    case.write_text(COUPLED)
    results = []
    for ranks in (None, 2):
        out = tmp_path / f"out{ranks}"
        r = cli("run", case, "-o", out, "-q", ranks=ranks)
        assert r.returncode == 0, r.stderr
        results.append((json.loads((out / "summary.json").read_text()), read_csv(out / "timeseries.csv")))
    (s1, c1), (s2, c2) = results
    for col in ("time_s", "film_max_temperature_K", "film_mean_temperature_K", "threshold_W_m2", "pump_W_m2", "lasing"):
        assert col in c1, col
    for key in ("lasing_start_s", "lasing_stop_s", "lasing_duration_s"):
        assert s1[key] == pytest.approx(s2[key], rel=1e-9), key
    assert s1["runaway"] == s2["runaway"]
    assert s1["lasing_duration_s"] == pytest.approx(s1["lasing_stop_s"] - s1["lasing_start_s"])
    assert s1["steady_state"]["temperature_K"] > 295
    assert (tmp_path / "outNone" / "lasing.png").stat().st_size > 1000


def test_sweep_kind_writes_the_map(tmp_path, cli):
    case = tmp_path / "sweep.toml"
    text = COUPLED.replace('kind = "coupled"', 'kind = "sweep"').replace(
        'coordinates = "axisymmetric"', 'coordinates = "cartesian"').replace("dimension = 2", "dimension = 1")
    case.write_text(text + '[sweep]\nthresholds = ["5 kW/cm^2", "52 kW/cm^2"]\npump_ratios = [1.1, 2.0]\n'
                    'durations = ["0.5 us", "1 us"]\n')
    out = tmp_path / "out"
    r = cli("run", case, "-o", out, "-q")
    assert r.returncode == 0, r.stderr
    rows = read_csv(out / "sweep.csv")
    assert len(rows["threshold_W_m2"]) == 8
    s = json.loads((out / "summary.json").read_text())
    assert s["points"] == 8 and s["steady_resistance_K_per_W_m3"] > 0
    # at a fixed pump/threshold ratio a lower threshold means less heat: it lases at least as long
    for ratio in (1.1, 2.0):
        for dur in (0.5e-6, 1e-6):
            sel = (rows["pump_ratio"] == ratio) & (rows["pump_duration_s"] == dur)
            low, high = rows["lasing_duration_s"][sel & (rows["threshold_W_m2"] == 5e7)], \
                rows["lasing_duration_s"][sel & (rows["threshold_W_m2"] == 5.2e8)]
            assert low[0] >= high[0]
    assert (out / "map.png").stat().st_size > 1000


def test_runaway_is_physical_not_numerical():
    # The example: with a stimulated share, lasing stops early and the heat is constant
    # afterwards. The runaway flag must not depend on the pump's length beyond that, nor on the mesh,
    # and a device without feedback (the heat A·I whatever T) is never flagged.
    from cqdfem import model, workflows

    base = dict(pump={"intensity": "88 kW/cm^2", "rise_time": "300 ns"},
                film={"absorptance": 0.2, "plqy": 0.15, "slope_efficiency": 0.3},
                threshold={"law": "t0", "at_reference": "52 kW/cm^2", "fit": [["333 K", 1.7]]},
                thermal={"end_time": "2.6 us"}, coupling={"steady": False}, output={"fields": False})
    from cqdfem.geometry import load_geometry

    found = {}
    for cells in (4, 16):
        g = load_geometry(ROOT / "geometries" / "dfb-mgf2.toml").with_mesh(dimension=1, film_cells=cells,
                                                                           growth=1.3 if cells == 4 else 1.1)
        for duration in ("1.0 us", "2.5 us"):
            m = model.create("coupled", g, **{**base, "pump": {**base["pump"], "duration": duration}})
            found[cells, duration] = workflows.run(m).summary
        free = model.create("coupled", g, **{**base, "film": {"absorptance": 0.2, "plqy": 0.0, "slope_efficiency": 0.0},
                                             "pump": {**base["pump"], "duration": "2.5 us"}})
        found[cells, "no feedback"] = workflows.run(free).summary
    for cells in (4, 16):
        a, b = found[cells, "1.0 us"], found[cells, "2.5 us"]
        assert a["runaway"] is True and b["runaway"] is True
        assert a["runaway_time_s"] == pytest.approx(b["runaway_time_s"], rel=1e-9)     # same history
        assert a["runaway_time_s"] < a["lasing_stop_s"]          # the feedback acts while lasing
        assert found[cells, "no feedback"]["runaway"] is False
        assert found[cells, "no feedback"]["loop_gain_max"] == pytest.approx(0.0, abs=1e-6)
    assert found[4, "2.5 us"]["runaway_time_s"] == pytest.approx(found[16, "2.5 us"]["runaway_time_s"], rel=0.03)


def test_events_on_default_steps_match_fine_steps():
    # The loop's source uses T extrapolated to the end of each step (second order), not T at its
    # start: on the default steps the lasing stop is within 0.1 % of a 17x finer run (it was 0.5 %
    # late with the lagging source), and refining further changes it by < 1e-5.
    from cqdfem import model, workflows
    from cqdfem.geometry import load_geometry

    g = load_geometry(ROOT / "geometries" / "dfb-mgf2.toml").with_mesh(dimension=1)
    base = dict(pump={"intensity": "88 kW/cm^2", "rise_time": "300 ns", "duration": "2.5 us"},
                film={"absorptance": 0.2, "plqy": 0.15},
                threshold={"law": "t0", "at_reference": "52 kW/cm^2", "fit": [["333 K", 1.7]]},
                coupling={"steady": False}, output={"fields": False})
    stops = [workflows.run(model.create("coupled", g, thermal=th, **base)).summary["lasing_stop_s"]
             for th in ({"end_time": "1 us"}, {"end_time": "1 us", "step_ratio": 0.002, "max_step": "0.5 ns"},
                        {"end_time": "1 us", "step_ratio": 0.001, "max_step": "0.25 ns"})]
    assert abs(stops[1] - stops[2]) < 1e-5 * stops[2]
    assert stops[0] == pytest.approx(stops[2], rel=1e-3)


def test_batch_fast_path_equals_one_device_at_a_time():
    # Many samples through one time loop (numpy over samples) = run_fast per sample, to roundoff.
    g, sm = half_space("120 nm", film_cells=4)
    times = thermal.time_grid(2e-6, 1e-10, 0.05)
    response = coupling.step_response(thermal.HeatSolver(sm), times, drive="max", steady=False)
    R = coupling.steady_resistance(thermal.HeatSolver(sm))
    profile = thermal.Profile(rise_time=3e-7, duration=1.5e-6)
    rng = np.random.default_rng(4)
    for laws in ([th.T0(5.2e8 * rng.uniform(0.8, 1.2), T0=rng.uniform(50, 90)) for _ in range(6)],
                 [th.Auger(5.2e8, energy=rng.uniform(0.04, 0.07), mass_ratio=rng.uniform(0.5, 2)) for _ in range(6)]):
        devices = [coupling.Device(HeatModel(absorptance=rng.uniform(0.1, 0.3), plqy=rng.uniform(0.1, 0.3),
                                             thickness=120e-9, slope_efficiency=rng.uniform(0, 0.6),
                                             auger_share=rng.uniform(0, 0.5), clamped=bool(i % 3 == 0)), law)
                   for i, law in enumerate(laws)]
        intensities = rng.uniform(6e8, 1.2e9, len(devices))
        batch = coupling.BatchDevice(devices)
        T_all, evs = coupling.run_fast_many(response, batch, intensities, profile, resistance=R)
        for i, device in enumerate(devices):
            cols, ev = coupling.run_fast(response, device, coupling.Pump(intensities[i], profile), resistance=R)
            assert np.max(np.abs(T_all[i] - cols["film_drive_temperature_K"])) < 1e-9
            for key in ("lasing_start_s", "lasing_stop_s", "runaway", "runaway_time_s"):
                assert evs[i][key] == (pytest.approx(ev[key], rel=1e-9) if isinstance(ev[key], float) else ev[key])
    with pytest.raises(ValueError, match="batch"):
        coupling.BatchDevice([devices[0], coupling.Device(devices[1].heat, th.T0(5e8, T0=70.0))])
