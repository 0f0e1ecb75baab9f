"""Lasing physics (pure numpy/scipy): threshold laws, heat generation, kinetics, gain statistics."""

import math
import pathlib

import numpy as np
import pytest

from cqdfem.lasing import gain, heat, kinetics
from cqdfem.lasing import threshold as th

P52 = 5.2e8          # 52 kW/cm² in W/m²
ROOT = pathlib.Path(__file__).resolve().parents[1]


# --- gain statistics -----------------------------------------------------------------------------

def test_cdse_gain_threshold_is_1_54():
    # seed 002: theory 1.54, measured 1.55 ± 0.07
    assert gain.gain_threshold(2, 4) == pytest.approx(1.5423, abs=5e-4)
    assert gain.gain_threshold(2, 4, doping=2) == 0.0           # doubly doped: zero threshold


def test_gain_threshold_against_an_independent_sum():
    # Build Σ P(N) A*(N) by hand from the state-filling rule and solve with bisection.
    def absorption(m, ge, gh, n):
        total, p = 0.0, math.exp(-m)
        for N in range(200):
            ne, nh = min(N + n, ge), min(N, gh)
            total += p * (1 - ne / ge - nh / gh)
            p *= m / (N + 1)
        return total

    for ge, gh, n in ((2, 2, 0), (8, 8, 0), (2, 4, 1), (2, 6, 0), (4, 4, 2)):
        lo, hi = 0.0, 20.0
        for _ in range(100):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if absorption(mid, ge, gh, n) > 0 else (lo, mid)
        assert gain.gain_threshold(ge, gh, doping=n) == pytest.approx(lo, abs=1e-9), (ge, gh, n)
    assert gain.gain_threshold(8, 8) == pytest.approx(4.0, abs=0.1)       # PbS 8-fold: ≈ 4 (seed 004)
    # a doping mixture lies between its pure members
    mix = gain.gain_threshold(2, 4, doping={0: 0.5, 1: 0.5})
    assert gain.gain_threshold(2, 4, 1) < mix < gain.gain_threshold(2, 4, 0)
    fd = gain.fermi_dirac_doping(1.0, 2)
    assert fd == pytest.approx({0: 0.25, 1: 0.5, 2: 0.25})


def test_conversions_and_material_gain():
    sigma, lam = 1e-19, 400e-9
    F = gain.fluence_from_excitons(1.5, sigma, lam)
    assert gain.excitons_from_fluence(F, sigma, lam) == pytest.approx(1.5)
    assert F == pytest.approx(1.5 / sigma * 6.62607015e-34 * 299792458 / lam)
    avg, peak = gain.intensities_from_fluence(1.0, 1e-9)
    assert avg == pytest.approx(1e9) and peak == pytest.approx(1e9 * 0.9394, rel=1e-3)
    # saturated (all dots inverted, A* = -A0): g = A ln10 / d
    assert gain.material_gain(50.0, 0.04, 116e-9) == pytest.approx(0.04 * math.log(10) / 116e-9, rel=1e-6)
    assert gain.material_gain(gain.gain_threshold(), 0.04, 116e-9) == pytest.approx(0, abs=1e-6)


def test_vsl_fit_recovers_gain():
    L = np.linspace(20e-6, 600e-6, 25)
    I = gain.vsl(L, 3.0, 1200e2) * (1 + 0.01 * np.sin(np.arange(25)))
    A, g, err = gain.fit_vsl(L, I)
    assert g == pytest.approx(1200e2, rel=0.02) and A == pytest.approx(3.0, rel=0.05)


def test_cascade_transfer_lowers_the_threshold():
    # fast transfer (2 ps vs 40 ps competing), half donors of equal cross-section: ~2x lower
    J, eta = gain.cascade_threshold(315.0, 0.5, 1.0, 1.0, 2e-12, 40e-12)
    assert eta == pytest.approx(40 / 42)
    assert J == pytest.approx(315 / (1 + 40 / 42))
    J_slow, _ = gain.cascade_threshold(315.0, 0.5, 1.0, 1.0, 9e-12, 40e-12)
    assert J < J_slow < 315


# --- threshold laws ------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["auger", "t0"])
def test_both_laws_reproduce_the_paper_point(kind):
    fit = th.calibrate(kind, [(333.0, 1.7)], P52)
    assert fit.law.ratio(333.0) == pytest.approx(1.7, rel=1e-9)
    assert fit.law(295.0) == pytest.approx(P52)
    # lasing at 88 kW/cm² stops where P_th = 88: ratio 1.69, just below 333 K
    T_stop = fit.law.temperature_at(8.8e8)
    assert fit.law(T_stop) == pytest.approx(8.8e8, rel=1e-9)
    assert 330 < T_stop < 333


def test_auger_law_is_its_formula():
    law = th.Auger(P52, energy=1.94, mass_ratio=0.5)
    k = th.K_B_EV
    tau = lambda T: (1.94 / (k * T)) ** 1.5 * math.exp((1 + 2 * 0.5) / (1 + 0.5) * 1.94 / (k * T))  # noqa: E731
    for T in (250.0, 310.0, 340.0):
        assert law.ratio(T) == pytest.approx(tau(295.0) / tau(T), rel=1e-10)
    # with the real band gap the law is far steeper than measured (physics.md section 4)
    assert law.ratio(333.0) > 1e4
    v = th.Auger(P52, energy=th.Varshni(1.94, 4e-4, 200.0))
    assert v.ratio(295.0) == pytest.approx(1.0) and v.ratio(320.0) > 1


def test_calibration_with_several_points_is_least_squares():
    pts = [(295.0, 1.0), (313.0, 1.3), (333.0, 1.7), (353.0, 2.3)]
    fit = th.calibrate("t0", pts, P52)
    T, r = np.array(pts).T
    # closed-form least squares for ln r = (T - 295)/T0 through the origin
    x = T - 295
    assert 1 / fit.value == pytest.approx((x @ np.log(r)) / (x @ x), rel=1e-8)
    assert fit.rms_log == pytest.approx(np.sqrt(np.mean((x / fit.value - np.log(r)) ** 2)), rel=1e-8)


def test_table_law_interpolates_monotonically_and_refuses_outside():
    law = th.Table(P52, (280.0, 295.0, 320.0, 350.0), (0.8, 1.0, 1.4, 2.2))
    T = np.linspace(280, 350, 200)
    assert np.all(np.diff(law(T)) > 0)
    assert law.ratio(320.0) == pytest.approx(1.4)
    assert law.temperature_at(1.4 * P52) == pytest.approx(320.0, abs=1e-6)
    assert law.temperature_at(3 * P52) is None              # never reached within the table
    with pytest.raises(ValueError, match="outside the table"):
        law(360.0)


@pytest.mark.parametrize("make,match", [
    (lambda: th.T0(P52, T0=-50.0), "T0 must be > 0"),
    (lambda: th.T0(P52).ratio(0.0), "> 0 K"),
    (lambda: th.T0(P52).ratio(-5.0), "> 0 K"),
    (lambda: th.Table(P52, (300.0, 290.0), (1.0, 1.2)), "strictly increasing"),
    (lambda: th.Auger(-1.0), "p_ref"),
    (lambda: th.Auger(P52, mass_ratio=0.0), "mass_ratio"),
    (lambda: th.calibrate("t0", [(295.0, 1.0)], P52), "away from the reference"),
])
def test_bad_law_parameters_are_clear_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


# --- heat ----------------------------------------------------------------------------------------

def test_heat_fraction_of_the_supplement():
    # PLQY 0.15, 2.80 / 1.94 eV: 0.15 · 0.86/2.80 + 0.85
    assert heat.heat_fraction(0.15, 2.80, 1.94) == pytest.approx(0.15 * 0.86 / 2.80 + 0.85, rel=1e-12)
    m = heat.HeatModel(absorptance=0.2, plqy=0.15, thickness=120e-9,
                       pump_wavelength=heat.H_C_EV_M / 2.80, emission_wavelength=heat.H_C_EV_M / 1.94)
    assert m.heat_fraction(5.1e8) == pytest.approx(0.15 * 0.86 / 2.80 + 0.85, rel=1e-9)
    assert m.power_density(5.1e8) == pytest.approx(5.1e8 * 0.2 * (0.15 * 0.86 / 2.80 + 0.85) / 120e-9, rel=1e-9)


def test_energy_is_conserved_in_every_regime_and_lasing_cools():
    m = heat.HeatModel(absorptance=0.2, plqy=0.15, thickness=120e-9, slope_efficiency=0.3, auger_share=0.8)
    I = np.linspace(0, 2e9, 41)
    for P_th, r in ((np.inf, 1.0), (5.2e8, 1.0), (8.8e8, 1.7), (1e8, 3.0)):
        p = m.partition(I, P_th, r)
        assert np.allclose(p["heat"] + p["spontaneous"] + p["stimulated"], p["absorbed"], rtol=1e-14)
        assert np.all(p["heat"] >= 0)
    # above threshold less of the absorbed power is heat; a higher threshold (hotter film) more
    below = m.heat_fraction(1e9)
    lasing = m.heat_fraction(1e9, threshold=5.2e8)
    hotter = m.heat_fraction(1e9, threshold=8.8e8, threshold_ratio=1.7)
    assert lasing < below and lasing < hotter
    assert m.plqy_at(1.7) == pytest.approx(0.15 / (1 + 0.8 * 0.7))
    with pytest.raises(ValueError, match="slope_efficiency"):
        heat.HeatModel(absorptance=0.2, plqy=0.15, thickness=1e-7, slope_efficiency=0.9)


# --- kinetics ------------------------------------------------------------------------------------

def test_rate_equations_single_exciton_decay_is_exponential():
    d = kinetics.Dots(generation=0.0, pl_lifetime=7e-9, plqy=0.3, n_max=1)
    t = np.linspace(0, 30e-9, 31)
    k = kinetics.rate_equations(d, t, initial=[0.0, 1.0])
    assert np.allclose(k.mean_excitons, np.exp(-t / 7e-9), rtol=1e-10)
    assert k.decay_shares["radiative"] == pytest.approx(0.3, rel=1e-3)
    assert k.decay_shares["trap"] == pytest.approx(0.7, rel=1e-3)


def test_rate_equations_biexciton_and_poisson_start():
    d = kinetics.Dots(generation=0.0, pl_lifetime=37e-9, plqy=0.5)
    t = np.linspace(0, 2e-9, 21)
    m = 0.4
    P0 = gain.poisson(m, d.n_max)
    k = kinetics.rate_equations(d, t, initial=P0)
    # nothing feeds N = n_max from above: its population decays at its own total rate
    total = sum(r for r in d.rates(d.n_max).values())
    assert np.allclose(k.populations[:, d.n_max], P0[d.n_max] * np.exp(-total * t), rtol=1e-8, atol=1e-30)
    # with N <= 2 only: P_2 decays at 1/τ_XX + 2/τ_PL
    d2 = kinetics.Dots(generation=0.0, pl_lifetime=37e-9, plqy=0.5, n_max=2)
    k2 = kinetics.rate_equations(d2, t, initial=[0.0, 0.0, 1.0])
    assert np.allclose(k2.populations[:, 2], np.exp(-(1 / 700e-12 + 2 / 37e-9) * t), rtol=1e-10)
    # a weak steady pump on single excitons: P_1 = G/(G + 1/τ)
    d1 = kinetics.Dots(generation=1e7, pl_lifetime=37e-9, n_max=1)
    P, _ = kinetics.steady_state(d1)
    assert P[1] == pytest.approx(1e7 / (1e7 + 1 / 37e-9), rel=1e-10)


def test_monte_carlo_agrees_with_rate_equations_within_its_error_bars():
    d = kinetics.Dots(generation=2e9, pl_lifetime=7e-9, plqy=0.3)
    mc = kinetics.monte_carlo(d, 4e-9, 1e-12, size=20, samples=400, seed=3)
    re = kinetics.rate_equations(d, mc.time_s)
    # Populations over time: the MC mean over windows of 0.5 ns against the rate equations, with an
    # error bar from the binomial noise of 8000 dots (samples in a window correlated over ~0.25 ns)
    # plus the O(dt) splitting bias of the fixed time step.
    for lo in np.arange(0.5e-9, 4e-9, 0.5e-9):
        w = (mc.time_s >= lo) & (mc.time_s < lo + 0.5e-9)
        for n in range(5):
            p = re.populations[w, n].mean()
            sigma = math.sqrt(p * (1 - p) / 20 ** 3 / 2) + 2e-3 * p
            assert abs(mc.populations[w, n].mean() - p) < 5 * sigma, (lo, n, mc.populations[w, n].mean(), p)
    # the supplement's picture at its excitation (one absorption per 36 fs in 8000 dots, G ≈ 3.5e9/s):
    # steady within ~2 ns for both PL lifetimes, Auger the dominant loss
    for tau in (37e-9, 7e-9):
        dd = kinetics.Dots(generation=1 / 36e-15 / 8000, pl_lifetime=tau, plqy=0.3)
        assert kinetics.relaxation_time(dd) < 1.5e-9
        assert kinetics.steady_state(dd)[1]["auger"] > 0.8
    P, shares = kinetics.steady_state(d)
    assert re.mean_excitons[-1] == pytest.approx(P @ np.arange(len(P)), rel=0.03)
    assert mc.decay_shares["auger"] == pytest.approx(re.decay_shares["auger"], abs=0.02)
    # the kinetics feed the heat model: only the radiative share leaves as light
    m = heat.HeatModel.from_kinetics(shares, absorptance=1.0, thickness=1e-7)
    assert m.heat_fraction() == pytest.approx(1 - shares["radiative"] * 442 / 640, rel=1e-12)
    # seeded: reproducible
    a = kinetics.monte_carlo(d, 1e-10, 1e-12, size=5, seed=3)
    assert np.array_equal(a.populations, kinetics.monte_carlo(d, 1e-10, 1e-12, size=5, seed=3).populations)


# --- the command line and case files -------------------------------------------------------------

def test_cli_gain_json_contract(cli):
    import json

    r = cli("gain", "--ge", "2", "--gh", "4", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["threshold_excitons_per_dot"] == pytest.approx(1.5423, abs=5e-4)
    r = cli("gain", "--ge", "2", "--gh", "4", "--doping", "2", "--json")
    assert json.loads(r.stdout)["threshold_excitons_per_dot"] == 0.0
    r = cli("gain", "--ge", "2", "--doping", "3")
    assert r.returncode == 2 and "exceeds" in r.stderr and "Traceback" not in r.stderr


def test_cli_threshold_calibrates_inverts_and_plots(cli, tmp_path):
    import json

    png = tmp_path / "th.png"
    r = cli("threshold", "--law", "t0", "--at-reference", "52 kW/cm^2", "--fit", "333 K:1.7",
            "--pump", "88 kW/cm^2", "--plot", png, "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["fit"]["value"] == pytest.approx(38 / math.log(1.7), rel=1e-9)
    assert out["lasing_stops_at_K"] == pytest.approx(295 + out["fit"]["value"] * math.log(88 / 52), rel=1e-9)
    assert png.stat().st_size > 1000
    r = cli("threshold", "--law", "t0", "--at-reference", "52 kW/cm^2", "--T0", "-5 K")
    assert r.returncode == 2 and "threshold.T0" in r.stderr


def test_case_threshold_section_is_validated(cli, tmp_path):
    case = tmp_path / "case.toml"
    case.write_text('geometry = "%s"\nkind = "mesh"\n[threshold]\nlaw = "table"\nat_reference = "52 kW/cm^2"\n'
                    'table = [["300 K", 1.0], ["290 K", 1.2]]\n' % (ROOT / "geometries" / "inorganic-mgf2.toml"))
    r = cli("check", case)
    assert r.returncode == 2 and "strictly increasing" in r.stderr and "threshold" in r.stderr
    case.write_text(case.read_text().replace('[["300 K", 1.0], ["290 K", 1.2]]', '[["290 K", 0.9], ["340 K", 1.9]]'))
    r = cli("threshold", case, "--pump", "88 kW/cm^2")
    assert r.returncode == 0, r.stderr
    assert "lasing stops at" in r.stdout


def test_cli_kinetics_monte_carlo_matches_rate_equations(cli):
    import json

    r = cli("kinetics", "--generation", "2e9 1/s", "--monte-carlo", "--end-time", "3 ns", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["decay_shares"]["auger"] > 0.5
    assert out["monte_carlo"]["decay_shares"]["auger"] == pytest.approx(out["decay_shares"]["auger"], abs=0.06)



# --- heat models above threshold -----------------------------------------------------------------

def test_heat_models_agree_below_threshold_and_conserve_energy_above():
    kw = dict(absorptance=0.24, plqy=0.15, thickness=120e-9)
    P_th, I = 52e7, np.array([10e7, 40e7, 88e7, 200e7])
    below = heat.HeatModel(**kw)
    h0 = below.heat_fraction()
    clamped = heat.HeatModel(clamped=True, **kw)
    for f_s in (0.0, 0.25, 0.5, 1.0):
        m = heat.HeatModel.energy_conserving(f_s, **kw)
        assert m.slope_efficiency == pytest.approx((442 / 640) * (1 - f_s), rel=1e-12)
        p = m.partition(I, threshold=P_th)
        # heat + light out = absorbed, exactly, in every regime
        assert p["heat"] + p["spontaneous"] + p["stimulated"] == pytest.approx(p["absorbed"], rel=1e-14)
        lo = I < P_th
        assert p["heat"][lo] == pytest.approx(clamped.partition(I, threshold=P_th)["heat"][lo], rel=1e-14)
        excess = 0.24 * (I - P_th)
        # above: below-threshold heat of A P_th, plus Stokes share and reabsorbed photons of the excess
        expected = 0.24 * P_th * h0 + excess * ((1 - 442 / 640) + f_s * 442 / 640)
        assert p["heat"][~lo] == pytest.approx(expected[~lo], rel=1e-12)
    # the paper's clamped model: heat = A h0 min(I, P_th)
    pc = clamped.partition(I, threshold=P_th)
    assert pc["heat"] == pytest.approx(0.24 * h0 * np.minimum(I, P_th), rel=1e-14)
    assert pc["heat"] + pc["spontaneous"] + pc["stimulated"] == pytest.approx(pc["absorbed"], rel=1e-14)
    with pytest.raises(ValueError, match="stimulated_absorbed_fraction"):
        heat.HeatModel.energy_conserving(1.5, **kw)


def test_case_heat_model_settings(tmp_path):
    from cqdfem import model
    from cqdfem.errors import InputError
    from cqdfem.geometry import Geometry

    g = Geometry.of([("substrate", "MgF2", "1 mm"), ("film", "CQD-inorganic", "120 nm", True)])
    base = dict(pump={"intensity": "88 kW/cm^2"}, threshold={"at_reference": "52 kW/cm^2", "T0": "70 K"},
                thermal={"end_time": "1 us"})
    m = model.create("coupled", g, film={"plqy": 0.15}, **base)
    assert m.heat_above_threshold()["stimulated_absorbed_fraction"] == pytest.approx(0.5)
    assert m.heat_above_threshold()["from"].startswith("assumption")
    m = model.create("coupled", g, film={"plqy": 0.15, "stimulated_absorbed_fraction": 0.2}, **base)
    assert m.heat.slope_efficiency == pytest.approx(0.8 * 442 / 640)
    m = model.create("coupled", g, film={"plqy": 0.15, "heat_model": "clamped"}, **base)
    assert m.heat.clamped and m.heat_above_threshold()["model"] == "clamped"
    for film, key in (({"plqy": 0.15, "slope_efficiency": 0.3, "stimulated_absorbed_fraction": 0.2}, "film.slope_efficiency"),
                      ({"plqy": 0.15, "slope_efficiency": 0.9}, "film.slope_efficiency"),
                      ({"plqy": 0.15, "heat_model": "clamped", "slope_efficiency": 0.1}, "film.heat_model"),
                      ({"plqy": 0.15, "heat_model": "hot"}, "film.heat_model")):
        with pytest.raises(InputError, match=key.replace(".", r"\.")):
            model.create("coupled", g, film=film, **base)
