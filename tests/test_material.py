"""The lasing threshold from material physics (cqdfem.lasing.material): its limits, monotonicity and
the case contract ([gain], [threshold] at_reference = "physics")."""

import dataclasses
import math
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from cqdfem.lasing import gain, kinetics
from cqdfem.lasing import material as M

ROOT = pathlib.Path(__file__).resolve().parents[1]
HV_442 = gain.photon_energy(442e-9)
SIGMA = 1e-18                       # m², 1e-14 cm²
ALPHA0 = 7e4                        # 1/m, 700 /cm


def dots(**kw):
    return kinetics.Dots(generation=0.0, **{"auger_lifetime": 700e-12, "pl_lifetime": 7e-9, "plqy": 0.15, **kw})


def test_no_auger_no_loss_is_the_poisson_transparency():
    """Without Auger the steady state is Poisson of mean G tau, so I_th = <N>_th hv / (sigma tau_rad)."""
    tau = 7e-9
    for model in (gain.GainModel(), gain.GainModel(electron_degeneracy=8, hole_degeneracy=8)):
        r = M.threshold(model, dots(auger_lifetime=math.inf, pl_lifetime=tau, plqy=1.0), SIGMA, 442e-9, ALPHA0,
                        M.Optics(1.0, 0.0))
        exact = model.gain_threshold() * HV_442 / (SIGMA * tau)
        assert r.intensity == pytest.approx(exact, rel=1e-9)
        assert r.excitons == pytest.approx(model.gain_threshold(), rel=1e-9)
        assert r.fluence == pytest.approx(model.gain_threshold() * HV_442 / SIGMA, rel=1e-9)
    assert gain.GainModel().gain_threshold() == pytest.approx(1.5423, abs=1e-4)   # 002: 1.55 +- 0.07


def test_no_auger_with_loss_matches_the_poisson_gain():
    """With loss and no Auger, the threshold is the Poisson mean where -A*/A0 alpha0 Gamma = alpha."""
    model, tau, gamma, loss = gain.GainModel(), 5e-9, 0.4, 1.2e4
    r = M.threshold(model, dots(auger_lifetime=math.inf, pl_lifetime=tau), SIGMA, 442e-9, ALPHA0, M.Optics(gamma, loss))
    mean = r.intensity * SIGMA * tau / HV_442
    assert -model.ensemble_absorption(mean) * ALPHA0 * gamma == pytest.approx(loss, rel=1e-8)
    assert r.required_gain == pytest.approx(loss / gamma)


def test_auger_raises_the_threshold_and_the_fluence_does_not_feel_it():
    model, optics = gain.GainModel(), M.Optics(0.5, 1e4)
    slow = M.threshold(model, dots(auger_lifetime=math.inf), SIGMA, 442e-9, ALPHA0, optics)
    fast = M.threshold(model, dots(auger_lifetime=700e-12), SIGMA, 442e-9, ALPHA0, optics)
    faster = M.threshold(model, dots(auger_lifetime=100e-12), SIGMA, 442e-9, ALPHA0, optics)
    assert slow.intensity < fast.intensity < faster.intensity
    assert slow.fluence == pytest.approx(fast.fluence, rel=1e-12)        # a short pulse outruns every decay


def test_doubly_doped_threshold_is_set_by_the_loss_alone():
    """Dots with two extra electrons (g_e = 2) are transparent with no excitons: without loss the
    threshold is zero, and for small losses it grows in proportion to the loss."""
    model = gain.GainModel(doping=2.0)
    assert model.gain_threshold() == 0.0
    d = dots()
    assert M.threshold(model, d, SIGMA, 442e-9, ALPHA0, M.Optics(0.5, 0.0)).intensity == 0.0
    a = M.threshold(model, d, SIGMA, 442e-9, ALPHA0, M.Optics(0.5, 1.0)).intensity
    b = M.threshold(model, d, SIGMA, 442e-9, ALPHA0, M.Optics(0.5, 2.0)).intensity
    assert a > 0 and b / a == pytest.approx(2.0, rel=1e-3)
    undoped = M.threshold(gain.GainModel(), d, SIGMA, 442e-9, ALPHA0, M.Optics(0.5, 1.0)).intensity
    assert a < 1e-3 * undoped


def test_doping_lowers_the_pulsed_threshold_and_trion_auger_eats_the_steady_gain():
    """Doping lowers <N>_th, so the short-pulse threshold falls steadily with it; under a steady pump
    a charged dot also loses its single excitons to trion Auger, which takes most of the gain back
    (with Auger off, the steady threshold falls like the pulsed one)."""
    optics = M.Optics(0.5, 5e3)
    levels = (0.0, 0.5, 1.0, 1.5, 2.0)
    pulsed = [M.threshold(gain.GainModel(doping=n), dots(), SIGMA, 442e-9, ALPHA0, optics).fluence for n in levels]
    assert all(b < a for a, b in zip(pulsed, pulsed[1:]))
    assert pulsed[-1] / pulsed[0] < 0.35
    no_auger = [M.threshold(gain.GainModel(doping=n), dots(auger_lifetime=math.inf), SIGMA, 442e-9, ALPHA0,
                            optics).intensity for n in levels]
    assert all(b < a for a, b in zip(no_auger, no_auger[1:]))
    steady = [M.threshold(gain.GainModel(doping=n), dots(), SIGMA, 442e-9, ALPHA0, optics).intensity for n in levels]
    assert 0.8 < steady[-1] / steady[0] < 1.0


@pytest.mark.parametrize("what", ["cross_section", "confinement"])
def test_monotone_in_cross_section_and_confinement(what):
    model, d = gain.GainModel(), dots()
    values = []
    for x in (0.2, 0.4, 0.6, 0.8, 1.0):
        sigma = SIGMA * 2 * x if what == "cross_section" else SIGMA
        gamma = x if what == "confinement" else 0.5
        values.append(M.threshold(model, d, sigma, 442e-9, ALPHA0, M.Optics(gamma, 1e4)).intensity)
    assert all(b < a for a, b in zip(values, values[1:]))
    if what == "cross_section":       # I_th sigma is fixed: sigma only converts intensity to generation
        x = np.array([0.2, 0.4, 0.6, 0.8, 1.0])
        assert np.ptp(np.array(values) * x) / np.mean(np.array(values) * x) < 1e-8


def test_unreachable_gain_is_reported_not_solved():
    r = M.threshold(gain.GainModel(), dots(), SIGMA, 442e-9, ALPHA0, M.Optics(0.5, 0.6 * ALPHA0))
    assert r.intensity is None and r.fluence is None and "at most 700 /cm" in r.reason


def test_trion_auger_counts_carriers():
    """The statistical scaling: a negative trion recombines at 1/tau_eeh = 1/(4 tau_XX) by default,
    and a measured trion lifetime sets the eeh channel with 1/tau_XX = 2/tau_X- + 2/tau_X+ kept."""
    d = kinetics.Dots(generation=0.0, auger_lifetime=1e-10, doping=1)
    assert d.rates([1])["auger"][0] == pytest.approx(1 / 4e-10)
    assert d.rates([0])["auger"][0] == 0.0
    m = kinetics.Dots(generation=0.0, auger_lifetime=1e-10, doping=1, trion_auger_lifetime=3e-10)
    assert m.rates([1])["auger"][0] == pytest.approx(1 / 3e-10)
    k_eeh, k_ehh = m.triplet_rates()
    assert 2 * k_eeh + 2 * k_ehh == pytest.approx(1e10)
    neutral = kinetics.Dots(generation=0.0, auger_lifetime=1e-10, auger_scaling="cubic")
    charged_as_neutral = dataclasses_replace(neutral)
    assert charged_as_neutral.rates([3])["auger"][0] == pytest.approx(neutral.rates([3])["auger"][0])
    with pytest.raises(ValueError, match="twice the biexciton"):
        kinetics.Dots(generation=0.0, auger_lifetime=1e-10, doping=1, trion_auger_lifetime=1.5e-10)


def dataclasses_replace(d):
    """The carrier-counting rule at zero doping is the cubic scaling (it is only used for charged dots)."""
    N = np.arange(6.0)
    e = h = N
    k = 1 / (4 * d.auger_lifetime)
    counted = np.where(N >= 1, k * e * (e - 1) / 2 * h + k * e * h * (h - 1) / 2, 0.0)
    assert np.allclose(counted, d.rates(N)["auger"])
    return d


# --- the case contract ------------------------------------------------------------------------------

def run(*args):
    return subprocess.run([sys.executable, "-m", "cqdfem", *args], capture_output=True, text=True, cwd=ROOT)


def test_case_reports_the_threshold_from_physics():
    from cqdfem.model import load

    m = load(ROOT / "cases" / "microsecond-lasing-physics.toml")
    p = m.physics
    assert m.threshold.at_reference == pytest.approx(p["intensity_W_m2"])
    assert m.law(295.0) == pytest.approx(p["intensity_W_m2"])
    assert p["predicted_over_measured"] == pytest.approx(p["intensity_W_m2"] / 52e7)
    assert all(v["source"] and "no source" not in v["source"] for v in p["inputs"].values())
    assert 20e7 < p["intensity_W_m2"] < 500e7        # physics.md section 13: of order 10-100 kW/cm^2


@pytest.mark.parametrize("sets,key", [
    (["gain.saturated_gain=-1"], "gain.saturated_gain"),
    (["gain.required_gain='1e6 1/cm'"], "threshold.at_reference"),
    (["gain.confinement=0.5"], "gain.required_gain"),
    (["gain.electron_degeneracy=0"], "gain.electron_degeneracy"),
    (["gain.doping=3.0"], "gain"),
    (["gain.model='five-level'"], "gain.model"),
    (["gain.sources.loss=''"], "gain.sources.loss"),
    (["threshold.at_reference='physic'"], "threshold.at_reference"),
])
def test_bad_gain_inputs_are_refused_in_one_line(sets, key):
    args = ["check", "cases/microsecond-lasing-physics.toml"] + [a for s in sets for a in ("--set", s)]
    r = run(*args)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert key in r.stderr, r.stderr


def test_missing_saturated_gain_is_named():
    r = run("check", "cases/microsecond-lasing.toml", "--set", "threshold.at_reference='physics'")
    assert r.returncode == 2 and "gain.saturated_gain" in r.stderr and "Traceback" not in r.stderr


def test_sweep_defaults_to_the_physics_threshold(tmp_path):
    from cqdfem.errors import InputError
    from cqdfem.model import load

    base = (ROOT / "cases" / "microsecond-lasing-physics.toml").read_text()
    base = base.replace('geometry = "../geometries/', f'geometry = "{ROOT}/geometries/').replace('kind = "coupled"', 'kind = "sweep"')
    case = tmp_path / "sweep.toml"
    case.write_text(base + "\n[sweep]\npump_ratios = [1.2, 2.0]\n")
    m = load(case)
    assert m.sweep.thresholds == (pytest.approx(m.physics["intensity_W_m2"]),)
    case.write_text(base.replace('at_reference = "physics"', 'at_reference = "52 kW/cm^2"') + "\n[sweep]\npump_ratios = [1.2]\n")
    with pytest.raises(InputError, match="unless threshold.at_reference"):
        load(case)


def test_steady_state_is_exact_where_a_linear_solve_is_not():
    """Seed 002's dots (310 ps biexciton Auger, carrier-counting scaling): at a few hundred states the
    rates span ~20 decades. The birth-death product balances every cut exactly, equals a least-squares
    solve where that is well conditioned, and the steady gain rises monotonically with the pump."""
    d = kinetics.Dots(generation=1e9, auger_lifetime=310e-12, auger_scaling="cubic", pl_lifetime=7e-9, plqy=0.15)
    small = dataclasses.replace(d, n_max=10)
    P, _ = kinetics.steady_state(small)
    Q = kinetics._generator(small)
    ref = np.linalg.lstsq(np.vstack([Q, np.ones(len(Q))]), np.r_[np.zeros(len(Q)), 1.0], rcond=None)[0]
    assert np.allclose(P, ref, rtol=1e-8, atol=1e-14)
    big = dataclasses.replace(d, n_max=400)
    P, _ = kinetics.steady_state(big)
    out = sum(big.rates(np.arange(401)).values())
    flux_up, flux_down = big.generation * P[:-1], out[1:] * P[1:]
    assert np.allclose(flux_up, flux_down, rtol=1e-12, atol=1e-300)
    assert P.sum() == pytest.approx(1.0, abs=1e-14) and P[-1] < 1e-100
    gains = [M.steady_gain(gain.GainModel(), dataclasses.replace(d, generation=G), ALPHA0)
             for G in np.geomspace(1e8, 1e11, 13)]
    assert all(a < b for a, b in zip(gains, gains[1:]))
