"""Seed 003's level pictures of gain (cqdfem.lasing.gain, models "three-level" and "four-level")
against their closed-form thresholds, 003's own numbers, and the device threshold they feed."""

import math
import pathlib

import numpy as np
import pytest

from cqdfem import verification
from cqdfem.lasing import gain, kinetics
from cqdfem.lasing import material as M

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("row", verification.level_thresholds(), ids=lambda r: f"{r[0]}-a{r[1]:.3g}-b{r[2]:.3g}")
def test_level_thresholds_match_their_closed_forms(row):
    """cqdfem.verification.level_thresholds (also the V&V page): root finding on the ensemble sums
    against the quadratic (binomial) and Lambert-W (Poisson) closed forms."""
    _, _, _, closed_binomial, binomial, closed_poisson, poisson = row
    assert binomial == pytest.approx(closed_binomial, abs=1e-10)
    assert poisson == pytest.approx(closed_poisson, abs=1e-10)


def test_the_seed_003_thresholds():
    """003 Fig 8c-f: ESA into XX raises the SE threshold from 1.0 to 1.5 (3LS) and 0.5 to 1.0 (4LS)."""
    def th(model, b=None):
        return gain.GainModel(model, biexciton_absorption=b).gain_threshold("binomial")
    assert th("three-level", 0.0) == pytest.approx(1.0, abs=1e-12)
    assert th("three-level") == pytest.approx(1.5, abs=1e-12)
    assert th("four-level", 0.0) == pytest.approx(0.5, abs=1e-12)
    assert th("four-level") == pytest.approx(1.0, abs=1e-12)
    # thresholdless in the ideal four-level limit (003: "the 4LS has thresholdless gain in theory")
    assert gain.GainModel("four-level", lasing_line_absorption=0.0, biexciton_absorption=0.0).gain_threshold() == 0.0


def test_a_three_level_dot_without_esa_is_state_filling_of_two_fold_levels():
    """With a = 1, b = 0 a dot is the Standard Model's 2-fold 1S (g_e = g_h = 2): the same A*/A0 for
    every N, so the same Poisson threshold e^-m (2 + m) = 1 (m = 1.146)."""
    level = gain.GainModel("three-level", biexciton_absorption=0.0)
    filling = gain.GainModel(electron_degeneracy=2, hole_degeneracy=2)
    N = np.arange(12)
    assert np.array_equal(level.per_dot(N, 0), filling.per_dot(N, 0))
    m = level.gain_threshold()
    assert math.exp(-m) * (2 + m) == pytest.approx(1.0, abs=1e-12)
    assert m == pytest.approx(filling.gain_threshold(), abs=1e-12)


@pytest.mark.parametrize("model", ["three-level", "four-level"])
def test_excited_state_absorption_only_raises_the_threshold(model):
    ths = [gain.GainModel(model, biexciton_absorption=b).gain_threshold() for b in (0.0, 0.5, 1.0, 2.0, 4.0)]
    assert all(x < y for x, y in zip(ths, ths[1:]))
    assert gain.GainModel(model).maximum_gain() == 1.0        # a fully inverted dot: the saturated gain


def test_level_models_give_a_device_threshold_with_the_poisson_limit():
    """Through the steady kinetics: without Auger and loss, I_th = <N>_th hv / (sigma tau), as for
    state filling; a four-level film needs less pump than a three-level one in every setting."""
    tau, sigma, alpha0 = 7e-9, 1e-18, 7e4
    hv = gain.photon_energy(442e-9)
    free = kinetics.Dots(generation=0.0, auger_lifetime=math.inf, pl_lifetime=tau, plqy=1.0)
    real = kinetics.Dots(generation=0.0, auger_lifetime=700e-12, pl_lifetime=tau, plqy=0.15)
    for name in ("three-level", "four-level"):
        model = gain.GainModel(name)
        r = M.threshold(model, free, sigma, 442e-9, alpha0, M.Optics(1.0, 0.0))
        assert r.intensity == pytest.approx(model.gain_threshold() * hv / (sigma * tau), rel=1e-9)
    three, four = (M.threshold(gain.GainModel(n), real, sigma, 442e-9, alpha0, M.Optics(0.5, 1e4)).intensity
                   for n in ("three-level", "four-level"))
    assert four < three


@pytest.mark.parametrize("kw,match", [
    ({"model": "three-level", "lasing_line_absorption": 0.5}, "ends on the ground state"),
    ({"model": "four-level", "doping": 1.0}, "undoped"),
    ({"model": "four-level", "lasing_line_absorption": 1.5}, "within"),
    ({"model": "state-filling", "biexciton_absorption": 1.0}, "level models"),
])
def test_inconsistent_level_inputs_are_refused(kw, match):
    with pytest.raises(ValueError, match=match):
        gain.GainModel(**kw)
    with pytest.raises(ValueError, match="at most 2"):
        gain.GainModel("four-level").ensemble_absorption(2.5, "binomial")


def test_a_case_compares_the_models_with_their_assumptions():
    from cqdfem.errors import InputError
    from cqdfem.model import load

    case = ROOT / "cases" / "microsecond-lasing-physics.toml"
    results = {}
    for name in ("state-filling", "three-level", "four-level"):
        m = load(case, [f"gain.model='{name}'"])
        results[name] = m.physics["intensity_W_m2"]
        inputs = m.physics["inputs"]
        if name != "state-filling":
            assert "003" in inputs["biexciton_absorption"]["source"]
            assert inputs["lasing_line_absorption"]["value"] == pytest.approx(gain.LEVEL_DEFAULTS[name][0])
            assert "hole_degeneracy" not in inputs
    assert results["four-level"] < results["three-level"]
    with pytest.raises(InputError, match="gain"):
        load(case, ["gain.model='four-level'", "gain.doping=1.0"])
