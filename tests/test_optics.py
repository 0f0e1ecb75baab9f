"""Slab waveguide modes against the exact dispersion relations and closed-form Γ."""

import math

import numpy as np
import pytest

from cqdfem import geometry as caselib
from cqdfem import optics, verification

LAM = 630e-9


def three_layer(d, n_f=1.97, n_s=1.52, n_c=1.0):
    return optics.Slab(substrate=n_s, layers=(("film", d, n_f),), cover=n_c)


@pytest.mark.parametrize("d,n_f", [(200e-9, 1.97), (120e-9, 1.74), (300e-9, 1.74), (500e-9, 1.97)])
def test_te_and_tm_n_eff_match_the_dispersion_relation(d, n_f):
    s = three_layer(d, n_f)
    te = optics.slab_modes(s, LAM, "TE")
    if optics.tm_dispersion(1.52, n_f, 1.0, d, LAM) is None:
        with pytest.raises(optics.CutoffError):
            optics.slab_modes(s, LAM, "TM")
        tm = []
    else:
        tm = optics.slab_modes(s, LAM, "TM")
    for m in range(len(te)):
        assert te[m].n_eff == pytest.approx(optics.te_dispersion(1.52, n_f, 1.0, d, LAM, m), abs=1e-6)
    for m in range(len(tm)):
        assert tm[m].n_eff == pytest.approx(optics.tm_dispersion(1.52, n_f, 1.0, d, LAM, m), abs=1e-6)
    # every guided order the closed form has is found, and no other
    n_orders = sum(optics.te_dispersion(1.52, n_f, 1.0, d, LAM, m) is not None for m in range(6))
    assert len(te) == n_orders


def test_te_confinement_matches_the_closed_form():
    for d in (80e-9, 150e-9, 300e-9):
        s = three_layer(d)
        m = optics.slab_modes(s, LAM, "TE", n_modes=1)[0]
        exact = optics.te_confinement(1.52, 1.97, 1.0, d, LAM, optics.te_dispersion(1.52, 1.97, 1.0, d, LAM))
        assert m.confinement["film"] == pytest.approx(exact, abs=1e-5)
        assert sum(m.confinement.values()) == pytest.approx(1.0, abs=1e-12)
        assert m.power_confinement["film"] == pytest.approx(m.confinement["film"], abs=1e-12)   # TE: the same


def test_convergence_rate_of_n_eff():
    # cqdfem.verification.slab_neff (also the V&V page): quadratic elements, eigenvalue error O(h^4)
    study = verification.slab_neff()
    assert np.all(np.array(study.orders) > 3.5), study.orders
    assert study.errors[-1] < 1e-6


def test_cutoff_thickness_and_below_cutoff_message():
    dc = optics.te_cutoff_thickness(1.52, 1.97, 1.0, LAM)
    assert optics.te_dispersion(1.52, 1.97, 1.0, dc * 1.01, LAM) is not None
    assert optics.te_dispersion(1.52, 1.97, 1.0, dc * 0.99, LAM) is None
    optics.slab_modes(three_layer(dc * 1.05), LAM, "TE", n_modes=1)
    with pytest.raises(optics.CutoffError, match="below cutoff"):
        optics.slab_modes(three_layer(dc * 0.95), LAM, "TE", n_modes=1)


def te_multilayer_exact(n_sub, layers, n_cover, wavelength, guess):
    """TE n_eff of a multilayer by the transfer matrix (independent of the FE solver)."""
    from scipy.optimize import brentq

    k0 = 2 * math.pi / wavelength

    def char(n):
        gs = k0 * math.sqrt(n * n - n_sub ** 2)
        gc = k0 * math.sqrt(n * n - n_cover ** 2)
        E, dE = 1.0, gs                             # decaying into the substrate
        for d, nl in layers:
            q2 = k0 ** 2 * (nl * nl - n * n)
            if q2 > 0:
                q = math.sqrt(q2)
                E, dE = E * math.cos(q * d) + dE / q * math.sin(q * d), -E * q * math.sin(q * d) + dE * math.cos(q * d)
            else:
                q = math.sqrt(-q2)
                E, dE = E * math.cosh(q * d) + dE / q * math.sinh(q * d), E * q * math.sinh(q * d) + dE * math.cosh(q * d)
        return dE + gc * E                          # decaying into the cover

    return brentq(char, guess - 2e-3, guess + 2e-3, xtol=1e-15)


def test_multilayer_matches_the_transfer_matrix():
    # MgF2 / SiO2 grating (effective) / CQD / spin-on glass cap under air
    layers = (("grating", 130e-9, 1.72), ("film", 100e-9, 1.97), ("cap", 300e-9, 1.40))
    s = optics.Slab(substrate=1.38, layers=layers, cover=1.0)
    m = optics.slab_modes(s, 640e-9, "TE", n_modes=1)[0]
    exact = te_multilayer_exact(1.38, [(d, n) for _, d, n in layers], 1.0, 640e-9, m.n_eff)
    assert m.n_eff == pytest.approx(exact, abs=1e-6)


def test_bragg_wavelength_is_self_consistent_and_invertible():
    s = three_layer(150e-9, n_s=1.38)
    lam, n = optics.bragg_wavelength(s, 430e-9, order=2)
    assert lam == pytest.approx(2 * n * 430e-9 / 2, rel=1e-12)
    assert optics.slab_modes(s, lam, "TE", n_modes=1)[0].n_eff == pytest.approx(n, abs=1e-6)
    t = optics.thickness_for_wavelength(s, "film", 430e-9, lam)
    assert t == pytest.approx(150e-9, rel=1e-5)


def test_wavelength_sweep_matches_the_dispersion_relation_warm_or_cold():
    slab = optics.Slab(1.52, (("film", 150e-9, 1.97),), 1.0)
    lams = [560e-9, 600e-9, 640e-9, 680e-9, 2.0e-6]
    rows = optics.wavelength_sweep(slab, "film", lams)
    for lam, n, gamma in rows[:-1]:
        exact = optics.te_dispersion(1.52, 1.97, 1.0, 150e-9, lam)
        assert abs(n - exact) < 1e-6
        assert abs(gamma - optics.te_confinement(1.52, 1.97, 1.0, 150e-9, lam, exact)) < 1e-5
        cold = optics.slab_modes(slab, lam, "TE", n_modes=1)[0]
        assert abs(cold.n_eff - n) < 1e-6
    # at 2 um the TE0 cutoff thickness (188 nm) exceeds the film: no mode, Γ = 0, not a guess
    assert optics.te_cutoff_thickness(1.52, 1.97, 1.0, 2.0e-6) > 150e-9
    assert math.isnan(rows[-1][1]) and rows[-1][2] == 0.0


def test_minimum_thickness_for_ase():
    s = three_layer(100e-9, n_f=1.97)
    g, loss = 486e2, 20e2                        # 486 /cm material gain, 20 /cm loss (assumption)
    t = optics.minimum_thickness_for_ase(s, "film", LAM, g, loss)
    m = optics.slab_modes(s.with_layer("film", thickness=t), LAM, "TE", n_modes=1)[0]
    assert m.confinement["film"] * g - loss == pytest.approx(0, abs=5e-5 * g)    # Γ to ~1e-5
    assert t > optics.te_cutoff_thickness(1.52, 1.97, 1.0, LAM)


def test_slab_from_geometry_with_thermo_optic_shift():
    g = caselib.load_geometry(__import__("pathlib").Path(__file__).resolve().parents[1] / "geometries" / "inorganic-glass.toml")
    s = optics.Slab.from_geometry(g)
    assert s.substrate == pytest.approx(1.52) and s.layers[0][2] == pytest.approx(1.97) and s.cover == 1.0
    hot = optics.Slab.from_geometry(g, temperature=395.0)
    assert hot.substrate == pytest.approx(1.52 + 2e-6 * 100)


def test_cli_modes_table_and_json(cli):
    import json

    r = cli("modes", "geometries/inorganic-glass.toml", "--wavelength", "630nm", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    te0 = next(m for m in out["modes"] if m["polarization"] == "TE" and m["order"] == 0)
    exact = optics.te_dispersion(1.52, 1.97, 1.0, 120e-9, LAM)
    assert te0["n_eff"] == pytest.approx(exact, abs=1e-6)
    assert te0["confinement"]["film"] == pytest.approx(optics.te_confinement(1.52, 1.97, 1.0, 120e-9, LAM, exact), abs=1e-5)
    r = cli("modes", "geometries/inorganic-glass.toml", "--wavelength", "630nm", "--set", "layers[1].thickness='30 nm'")
    assert r.returncode == 0 and "below cutoff" in r.stdout
    r = cli("modes", "geometries/inorganic-glass.toml", "--wavelength", "-630nm")
    assert r.returncode == 2 and "--wavelength" in r.stderr


def test_modes_case_sweep_minimum_thickness_and_bragg(cli, tmp_path):
    import json

    out = tmp_path / "s1b"
    r = cli("run", "cases/figS1b-minimum-thickness.toml", "-o", out)
    assert r.returncode == 0, r.stderr
    s = json.loads((out / "summary.json").read_text())
    t_in, t_org = (v["minimum_thickness_for_ase_m"] for v in s["variants"])
    assert 40e-9 < t_in < t_org < 200e-9          # the lower-index film needs a thicker layer
    out = tmp_path / "dfb"
    r = cli("run", "cases/dfb-bragg.toml", "-o", out)
    assert r.returncode == 0, r.stderr
    s = json.loads((out / "summary.json").read_text())
    assert s["bragg_wavelength_m"] == pytest.approx(2 * s["bragg_n_eff"] * 430e-9 / 2, rel=1e-9)
    assert s["modes"][0]["polarization"] == "TE" and set(s["modes"][0]["confinement"]) >= {"grating", "film", "cap"}
    n = s["dispersion"]["n_eff"]
    assert len(n) == 11 and all(a > b for a, b in zip(n, n[1:]))          # normal modal dispersion
    assert (out / "dispersion.csv").read_text().startswith("wavelength_m,n_eff,confinement")
    assert (out / "dispersion.png").stat().st_size > 10000
