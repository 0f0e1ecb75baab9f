"""FDTR analytic model and fit (cqdfem/fdtr.py) against closed forms; the fit recovers what made the data."""

import math

import numpy as np
import pytest

from cqdfem import fdtr, verification

SI = fdtr.Layer("Si", 500e-6, 148.0, 2330 * 750)
CQD = fdtr.Layer("CQD", 150e-9, 0.24, 2633 * 374)
AU = fdtr.Layer("Au", 94e-9, 147.0, 19300 * 130)
STACK = [SI, CQD, AU]
FREQ = np.geomspace(1e4, 2e7, 30)
W0, W1 = 3.4e-6, 3.4e-6          # 1/e² radii (assumption for the tests: a fibre-aligned FDTR's beams)


def test_half_space_dc_closed_form():
    # ω = 0, isotropic half-space: ΔT/A = 1/(√(2π) k w), w² = w0² + w1²; anisotropic: k → √(k_r k_z)
    k, w0, w1 = 1.3, 2e-6, 3e-6
    w = math.hypot(w0, w1)
    h = fdtr.response([fdtr.Layer("s", 1.0, k, 1e6)], 0.0, w0, w1)[0]
    assert h.real == pytest.approx(1 / (math.sqrt(2 * math.pi) * k * w), rel=1e-10) and abs(h.imag) < 1e-12 * h.real
    h = fdtr.response([fdtr.Layer("s", 1.0, 2.0, 1e6, conductivity_in_plane=8.0)], 0.0, w0, w1)[0]
    assert h.real == pytest.approx(1 / (math.sqrt(2 * math.pi) * 4.0 * w), rel=1e-10)


def test_wide_beams_are_one_dimensional():
    # beams much wider than the thermal wave: ΔT = 2A/(π w² k q0), q0 = √(iωρc/k); phase −45°
    k, C, f = 1.3, 2e6, 1e6
    w0 = w1 = 2e-3
    q0 = np.sqrt(1j * 2 * math.pi * f * C / k)
    h = fdtr.response([fdtr.Layer("s", 1.0, k, C)], f, w0, w1)[0]
    exact = 2 / (math.pi * (w0**2 + w1**2) * k * q0)
    assert abs(h / exact - 1) < 1e-6
    assert fdtr.phase([fdtr.Layer("s", 1.0, k, C)], f, w0, w1)[0] == pytest.approx(-45.0, abs=1e-4)


def test_film_resistance_adds_in_series_at_dc():
    # a film with no heat capacity on the half-space at ω = 0 adds, expanding Z_top in k·d and k_f/k_s,
    # d/k_f − k_f d/k_s² (its lateral spreading) − k d²/k_s − k² d³/3k_f, each weighted by the beams'
    # moments m_j = (1/2π)∫ k^j e^{−a k²} dk, a = (w0² + w1²)/8
    w0 = w1 = 1e-3
    w2 = w0**2 + w1**2
    d, kf, ks, a = 200e-9, 0.2, 148.0, (w0**2 + w1**2) / 8
    m1, m2, m3 = 1 / (4 * math.pi * a), math.sqrt(math.pi) / (8 * math.pi * a**1.5), 1 / (4 * math.pi * a**2)
    film = fdtr.Layer("f", d, kf, 0.0)
    base = fdtr.response([SI], 0.0, w0, w1)[0]
    with_film = fdtr.response([SI, film], 0.0, w0, w1)[0]
    exact = m1 * d * (1 / kf - kf / ks**2) - m2 * d**2 / ks - m3 * d**3 / (3 * kf)
    assert (with_film - base).real == pytest.approx(exact, rel=1e-9)
    assert abs(exact / (m1 * d / kf) - 1) > 1e-6        # the corrections matter at this tolerance
    # and an interface conductance G is a series resistance 1/G
    g = fdtr.response([SI, dataclasses_replace(film, conductance=5e7)], 0.0, w0, w1)[0]
    assert (g - with_film).real == pytest.approx(2 / (math.pi * w2) / 5e7, rel=1e-5)


def dataclasses_replace(layer, **kw):
    import dataclasses
    return dataclasses.replace(layer, **kw)


def test_split_layers_and_boundaries():
    # one layer cut in two identical halves is the same stack; an infinite conductance is no interface
    halves = [SI, dataclasses_replace(CQD, thickness=75e-9), dataclasses_replace(CQD, thickness=75e-9, name="CQD2"), AU]
    assert np.allclose(fdtr.response(halves, FREQ, W0, W1), fdtr.response(STACK, FREQ, W0, W1), rtol=1e-12)
    glued = [SI, CQD, dataclasses_replace(AU, conductance=1e20)]
    assert np.allclose(fdtr.response(glued, FREQ, W0, W1), fdtr.response(STACK, FREQ, W0, W1), rtol=1e-9)
    # a 500 µm substrate is a half-space at 10 kHz (thermal length 52 µm): the back does not matter
    for bottom in ("adiabatic", "isothermal"):
        assert np.allclose(fdtr.response(STACK, FREQ, W0, W1, bottom), fdtr.response(STACK, FREQ, W0, W1), rtol=1e-12)
    # a thin substrate's back does: adiabatic runs hotter than isothermal at low frequency
    thin = [dataclasses_replace(SI, thickness=5e-6), CQD, AU]
    hot, cold = (abs(fdtr.response(thin, 1e3, W0, W1, b)[0]) for b in ("adiabatic", "isothermal"))
    assert hot > 1.05 * cold
    with pytest.raises(ValueError):
        fdtr.response(STACK, FREQ, W0, W1, "open")


def test_quadrature_is_converged():
    a = fdtr.response(STACK, FREQ, W0, W1)
    old = fdtr.NODES
    try:
        fdtr.NODES = 2 * old
        b = fdtr.response(STACK, FREQ, W0, W1)
    finally:
        fdtr.NODES = old
    assert np.max(np.abs(a / b - 1)) < 1e-10


def test_fit_recovers_k_from_clean_and_noisy_data():
    truth = fdtr.phase(STACK, FREQ, W0, W1)
    start = [SI, dataclasses_replace(CQD, conductivity=0.6), AU]
    got = fdtr.fit(start, FREQ, truth, W0, W1, "CQD")
    assert got.conductivity == pytest.approx(0.24, rel=1e-6) and got.residual_deg < 1e-6
    # the phase is sensitive to the film: ±20 % in k moves it by more than a degree somewhere
    off = fdtr.phase([SI, dataclasses_replace(CQD, conductivity=0.288), AU], FREQ, W0, W1)
    assert np.max(np.abs(off - truth)) > 1.0
    noisy = truth + np.random.default_rng(3).normal(0, 0.3, len(FREQ))
    rel = {"Au.thickness": 0.05, "Au.conductivity": 0.05, "CQD.thickness": 0.05, "CQD.heat_capacity": 0.25 * math.sqrt(2)}
    res = fdtr.fit_with_uncertainty(start, FREQ, noisy, W0, W1, "CQD", rel)
    assert abs(res.conductivity - 0.24) < res.uncertainty
    assert set(res.contributions) == set(rel) | {"fit"}
    assert res.uncertainty == pytest.approx(math.sqrt(sum(v**2 for v in res.contributions.values())))
    # the seed: ρ and c of the film dominate the uncertainty
    assert max(res.contributions, key=res.contributions.get) == "CQD.heat_capacity"
    s = res.summary()
    assert s["layer"] == "CQD" and s["conductivity_W_mK"] == res.conductivity and "residual_deg" in s


def test_fit_with_interface_conductance():
    G = 3e7
    stack = [SI, CQD, dataclasses_replace(AU, conductance=G)]
    truth = fdtr.phase(stack, FREQ, W0, W1)
    got = fdtr.fit([SI, dataclasses_replace(CQD, conductivity=0.4), AU], FREQ, truth, W0, W1, "CQD", conductance=True)
    assert got.conductivity == pytest.approx(0.24, rel=1e-3)
    assert got.conductance == pytest.approx(G, rel=2e-2)
    with pytest.raises(KeyError, match="no layer named 'x'"):
        fdtr.fit(STACK, FREQ, truth, W0, W1, "x")
    with pytest.raises(ValueError, match="top layer"):
        fdtr.fit(STACK, FREQ, truth, W0, W1, "Au", conductance=True)


# --- the finite-element solve against an analytic solution written here, independently ----------------

cahill = verification.cahill_response          # independent of cqdfem.fdtr; also the V&V page's reference


def test_analytic_model_equals_an_independent_one():
    f = np.geomspace(1e4, 2e7, 6)
    ours = fdtr.response(STACK, f, W0, W1, bottom="isothermal")
    theirs = np.array([cahill(STACK, fi, W0, W1) for fi in f])
    assert np.max(np.abs(ours / theirs - 1)) < 1e-9


def test_finite_elements_match_the_analytic_phase_and_converge():
    # the check: phase within 0.1° over 10 kHz-20 MHz on an affordable mesh; measured here
    # 8e-4° at 3 cells per thin layer and 4 per beam radius, falling ~h^4 (P2) and ~h^2 (P1)
    # (cqdfem.verification.fdtr_phase, also the V&V page)
    p2, p1 = verification.fdtr_phase(2), verification.fdtr_phase(1)
    assert p2.errors[0] < 0.01 and p2.amplitude_errors[0] < 1e-3
    assert p2.errors[0] / p2.errors[1] > 10          # order > 3.3
    assert p1.errors[0] / p1.errors[1] > 3           # order > 1.6
    assert p1.errors[0] > 10 * p2.errors[0]
    with pytest.raises(ValueError, match="perfect contacts"):
        fdtr.fe_response([SI, CQD, dataclasses_replace(AU, conductance=1e8)], [1e5], W0, W1)


@pytest.mark.mpi
def test_finite_elements_two_ranks_equal_one():
    from mpi4py import MPI

    f = [1e5, 3e6]
    world = fdtr.fe_response(STACK, f, W0, W1, film_cells=3, lateral_cells=4)
    alone = fdtr.fe_response(STACK, f, W0, W1, film_cells=3, lateral_cells=4, comm=MPI.COMM_SELF)
    assert np.allclose(world, alone, rtol=1e-9, atol=0)


# --- the fdtr case kind and CLI ------------------------------------------------------------------

def test_shipped_case_recovers_the_k_its_data_were_made_with(tmp_path, cli):
    import json

    out = tmp_path / "out"
    r = cli("run", "cases/fdtr-inorganic.toml", "-o", out)
    assert r.returncode == 0, r.stderr
    s = json.loads((out / "summary.json").read_text())["fdtr"]
    # the data: k = 0.24 W/m/K with 0.3° noise (cases/data/make_fdtr_synthetic.py)
    assert abs(s["conductivity_W_mK"] - 0.24) < s["uncertainty_W_mK"] and s["uncertainty_W_mK"] < 0.05
    assert s["layer"] == "CQD" and 0.15 < s["residual_deg"] < 0.5
    assert set(s["contributions"]) == {"Au.thickness", "Au.conductivity", "CQD.thickness", "CQD.heat_capacity", "fit"}
    assert s["uncertainty_W_mK"] == pytest.approx(math.sqrt(sum(v**2 for v in s["contributions"].values())))
    assert {p.name for p in out.iterdir()} == {"summary.json", "fdtr_fit.csv", "fdtr.png"}
    # the CLI on the same files, and an interface conductance on request
    r = cli("fdtr", "geometries/fdtr-au-cqd-si.toml", "--data", "cases/data/fdtr-inorganic-synthetic.csv",
            "--pump-radius", "3.4um", "--probe-radius", "3.4um", "--fit", "CQD", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["fdtr"]["conductivity_W_mK"] == pytest.approx(s["conductivity_W_mK"], rel=1e-9)


@pytest.mark.parametrize("sets, key", [
    (["fdtr.fit='glass'"], "fdtr.fit"),
    (["fdtr.data='missing.csv'"], "fdtr.data"),
    (["fdtr.uncertainty={'CQD.conductivity'=0.1}"], "fdtr.uncertainty.CQD.conductivity"),
    (["fdtr.uncertainty={'Pt.thickness'=0.1}"], "fdtr.uncertainty.Pt.thickness"),
    (["fdtr.uncertainty={'Au.thickness'='5 percent'}"], "fdtr.uncertainty.Au.thickness"),
    (["fdtr.interface_conductance=true", "fdtr.fit='Au'"], "fdtr.interface_conductance"),
    (["fdtr.pump_radius='-1 um'"], "fdtr.pump_radius"),
])
def test_bad_fdtr_input_is_one_line(tmp_path, cli, sets, key):
    args = [a for s in sets for a in ("--set", s)]
    for command in ("check", "run"):
        r = cli(command, "cases/fdtr-inorganic.toml", *args, *(("-o", tmp_path / "o") if command == "run" else ()))
        assert r.returncode == 2, (sets, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
        assert key in r.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("text, what", [
    ("frequency,phase\n1e4,-1\n", "missing frequency_Hz, phase_deg"),
    ("frequency_Hz,phase_deg\n1e4,-1\n2e4,x\n3e4,-3\n", "line 3"),
    ("frequency_Hz,phase_deg\n1e4,-1\n2e4,-2\n", "at least 3 rows"),
    ("frequency_Hz,phase_deg\n1e4,-1\n2e4,-2\n-3e4,-3\n", "frequencies in (0, 1e10]"),
    ("frequency_Hz,phase_deg\n1e4,-1\n2e4,-2\n3e4,-300\n", "within [-180, 180]"),
    ("frequency_Hz,phase_deg\n1e4,-1\n1e4,-2\n3e4,-3\n", "distinct"),
    ("frequency_Hz,phase_deg\n1e4,nan\n2e4,-2\n3e4,-3\n", "finite"),
])
def test_bad_phase_files_are_named(tmp_path, cli, text, what):
    import shutil

    shutil.copy("geometries/fdtr-au-cqd-si.toml", tmp_path / "g.toml")
    (tmp_path / "p.csv").write_text(text)
    (tmp_path / "case.toml").write_text('geometry = "g.toml"\nkind = "fdtr"\n[fdtr]\ndata = "p.csv"\n'
                                        'pump_radius = "3 um"\nprobe_radius = "3 um"\nfit = "CQD"\n')
    r = cli("check", tmp_path / "case.toml")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert what in r.stderr and "p.csv" in r.stderr
