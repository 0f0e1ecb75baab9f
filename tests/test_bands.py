"""Band edges of the Bloch-periodic grating cell (cqdfem.bands) against exact answers: the empty
lattice (folded slab modes, exact dispersion relation), first-order coupled-wave theory for a
weak grating (closed-form TE0 mode of a symmetric slab), mesh convergence, serial = parallel."""

import json
import math

import numpy as np
import pytest
from mpi4py import MPI

from cqdfem import bands, optics, verification
from cqdfem.geometry import load_geometry

from conftest import ROOT

NC, NF, D, PERIOD = 1.45, 1.70, 200e-9, 400e-9
SLAB = optics.Slab(substrate=NC, layers=(("core", D, NF),), cover=NC)


def exact_bragg(n_core, order, polarization="TE", period=PERIOD):
    """λ = 2 n_eff(λ) Λ / m of the symmetric slab from its dispersion relation (fixed point)."""
    disp = optics.te_dispersion if polarization == "TE" else optics.tm_dispersion
    lam = 640e-9
    for _ in range(100):
        lam = 2 * disp(NC, n_core, NC, D, lam) * period / order
    return lam


def gamma_eps(n_core, lam):
    """Γ_ε = ∫_core f² / ∫ ε f² of the symmetric slab's TE0 mode, in closed form."""
    n = optics.te_dispersion(NC, n_core, NC, D, lam)
    k0 = 2 * math.pi / lam
    kap, gam = k0 * math.sqrt(n_core ** 2 - n ** 2), k0 * math.sqrt(n ** 2 - NC ** 2)
    core = D / 2 + math.sin(kap * D) / (2 * kap)          # f = cos(κz) in the core
    clad = math.cos(kap * D / 2) ** 2 / gam                # both exponential tails
    return core / (n_core ** 2 * core + NC ** 2 * clad)


@pytest.mark.parametrize("order,polarization", [(2, "TE"), (2, "TM"), (1, "TE")])
def test_empty_lattice_is_the_folded_slab_mode(order, polarization):
    """No contrast: both edges at λ = 2 n_eff Λ / m of the slab (Γ point for order 2, the zone edge
    — antiperiodic walls — for order 1), no splitting."""
    period = PERIOD if order == 2 else PERIOD / 2
    g = bands.Grating("core", period, period / 4, NF, NF, "lines")
    b = bands.band_edges(SLAB, g, order=order, polarization=polarization, cells=48, cells_per_layer=16,
                         comm=MPI.COMM_SELF)
    lam = exact_bragg(NF, order, polarization, period)
    assert abs(b.edges[0] / lam - 1) < 1e-6 and abs(b.edges[1] / lam - 1) < 1e-6
    assert abs(b.edges[1] - b.edges[0]) < 1e-9 * lam
    assert abs(b.bragg_wavelength / lam - 1) < 1e-6        # the slab solver's own line
    assert all(m.guide_fraction > 0.5 and m.residual < 1e-8 for m in b.modes)


def test_weak_grating_splitting_converges_to_coupled_wave_theory():
    """Δλ/λ = Γ_ε |Δε ε_2| at first order; the rest is second order in the modulation, so the
    relative error halves with it (cqdfem.verification.weak_grating, also the V&V page; its closed
    forms are checked against this file's own below)."""
    study = verification.weak_grating()
    for delta, b, predicted in study.rows:
        g = bands.Grating("core", PERIOD, PERIOD / 4, math.sqrt(NF ** 2 + delta), NF, "lines")
        assert g.fourier(2) == pytest.approx(1 / (2 * math.pi), rel=1e-12)      # sin(π/2)/(2π)
        n0 = math.sqrt(g.mean_permittivity)
        lam0 = exact_bragg(n0, 2)
        assert predicted == pytest.approx(lam0 * gamma_eps(n0, lam0) * delta * g.fourier(2), rel=1e-12)
        assert b.splitting_cwt == pytest.approx(predicted, rel=1e-4)            # the package's own CWT
    errors = study.errors
    assert errors[-1] < 3e-3
    assert 1.6 < errors[0] / errors[1] < 3.0 and 1.6 < errors[1] / errors[2] < 3.0
    # κ = π n_g Δλ / λ² with the identity n_g n_eff = ⟨ε⟩ of a TE slab mode: CWT's κ = k0 Γ_f |ε_2| / (2 n_eff)
    assert b.coupling_cwt == pytest.approx(math.pi * b.group_index * predicted / b.bragg_wavelength ** 2, rel=1e-4)


def test_square_lattice_fourier_coefficients():
    """The y-averaged cylinder profile's coefficients against direct quadrature (and the fill fraction)."""
    g = bands.Grating("x", 430e-9, 160e-9, 1.457, 1.40, "square")
    x = np.linspace(-215e-9, 215e-9, 400001)
    share = 2 * np.sqrt(np.clip(80e-9 ** 2 - x ** 2, 0, None)) / 430e-9
    for m in (0, 1, 2, 3):
        quad = np.trapezoid(share * np.cos(m * 2 * np.pi * x / 430e-9), x) / 430e-9
        assert g.fourier(m) == pytest.approx(quad, rel=1e-5, abs=1e-9)
    assert g.fourier(0) == pytest.approx(math.pi * 80e-9 ** 2 / 430e-9 ** 2, rel=1e-12)


@pytest.fixture(scope="module")
def dfb():
    geo = load_geometry(ROOT / "geometries" / "dfb-mgf2-643.toml")
    return optics.Slab.from_geometry(geo), bands.Grating.from_geometry(geo)


def test_band_edges_study_takes_a_geometry_path_and_names_a_missing_one(tmp_path):
    """Outside the repository (an installed package) the study gets its geometry by path, and the
    same file by path gives the same edges as the default."""
    rungs = ((6, 2), (12, 4))
    given = verification.band_edges(rungs, geometry=ROOT / "geometries" / "dfb-mgf2-643.toml")
    assert given.errors == pytest.approx(verification.band_edges(rungs).errors, rel=1e-12)
    assert given.rungs == rungs and len(given.runs) == 2
    with pytest.raises(FileNotFoundError, match="nowhere.toml: no such geometry file"):
        verification.band_edges(rungs, geometry=tmp_path / "nowhere.toml")


def test_band_edges_converge_at_fourth_order_on_the_shipped_dfb():
    """P2 eigenvalues converge as h⁴ (cqdfem.verification.band_edges, also the V&V page: each mesh
    against the next finer); the default mesh is within 1e-5 of the finest."""
    study = verification.band_edges()
    runs = study.runs
    assert all(o > 3.5 for o in study.orders[1:]), study.orders   # the coarsest rung is pre-asymptotic
    ref = np.array(runs[-1].edges)
    assert np.abs(np.array(runs[2].edges) / ref - 1).max() < 1e-5   # the default (24, 8)
    b = runs[2]
    # the effective-medium line lies between the edges; κ agrees with first-order CWT within 10 %
    assert b.edges[0] < b.bragg_wavelength < b.edges[1]
    assert b.coupling == pytest.approx(b.coupling_cwt, rel=0.1)
    # the antisymmetric edge has no zeroth harmonic: nothing radiates into the claddings
    anti = next(m for m in b.modes if m.parity == "antisymmetric")
    sym = next(m for m in b.modes if m.parity == "symmetric")
    assert not anti.radiating and sym.radiating
    assert anti.outside_fraction < 1e-8 < 1e-4 < sym.outside_fraction
    assert b.lasing_edge is anti


@pytest.mark.mpi
def test_serial_equals_parallel(dfb):
    slab, g = dfb
    alone = bands.band_edges(slab, g, cells=16, cells_per_layer=6, comm=MPI.COMM_SELF)
    split = bands.band_edges(slab, g, cells=16, cells_per_layer=6, comm=MPI.COMM_WORLD)
    assert np.allclose(alone.edges, split.edges, rtol=1e-11, atol=0)
    assert [m.parity for m in alone.modes] == [m.parity for m in split.modes]
    prof = split.profiles()
    assert len(prof["x_m"]) == len(alone.profiles()["x_m"])


def test_cli_json_contract_and_case(cli, tmp_path):
    r = cli("bands", "geometries/dfb-mgf2-643.toml", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    lo, hi = out["band_edges_m"]
    assert 642e-9 < lo < out["bragg_wavelength_m"] < hi < 644e-9
    assert out["coupling_coefficient_per_m"] == pytest.approx(math.pi * out["polarizations"]["TE"]["group_index"]
                                                              * (hi - lo) / out["bragg_wavelength_m"] ** 2, rel=1e-9)
    assert {m["parity"] for m in out["modes"]} == {"symmetric", "antisymmetric"}
    assert out["laser_line"]["consistent"]
    r = cli("run", "cases/dfb-bands.toml", "-o", tmp_path / "b", "-q")
    assert r.returncode == 0, r.stderr
    s = json.loads((tmp_path / "b" / "summary.json").read_text())
    assert s["band_edges_m"] == pytest.approx(out["band_edges_m"], rel=1e-12)
    assert set(s["polarizations"]) == {"TE", "TM"}
    for f in ("bands.xdmf", "bands-TM.xdmf", "bands.png", "band_profiles.csv"):
        assert (tmp_path / "b" / f).exists()


@pytest.mark.parametrize("args,expect", [
    (("bands", "geometries/film-on-si.toml"), "a bands case needs a grating"),
    (("bands", "geometries/dfb-mgf2-643.toml", "--near=-3nm"), "--near"),
    (("bands", "geometries/dfb-mgf2-643.toml", "--near", "3 kg"), "--near"),
    (("bands", "geometries/dfb-mgf2-643.toml", "--set", 'layers[2].thickness="5 nm"', "--set",
      'layers[3].material="air"'), "no TE band edges"),
])
def test_bad_input_is_one_line(cli, args, expect):
    r = cli(*args)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert expect in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_bands_table_only_in_a_bands_case(cli, tmp_path):
    case = tmp_path / "c.toml"
    case.write_text(f'geometry = "{ROOT}/geometries/dfb-mgf2-643.toml"\nkind = "modes"\n'
                    '[modes]\nwavelength = "643 nm"\n[bands]\ncells = 16\n')
    r = cli("check", case)
    assert r.returncode == 2 and 'applies to kind = "bands" only' in r.stderr
