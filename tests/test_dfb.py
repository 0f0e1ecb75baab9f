"""A DFB stack consistent with its line: the inverse question (which film thickness lases at a
stated wavelength), its explanation when none does, and the [laser] check."""

import pathlib

import pytest

from cqdfem import geometry, optics

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_thickness_found_reproduces_the_line():
    g = geometry.load_geometry(ROOT / "geometries" / "dfb-mgf2-643.toml")
    slab = optics.Slab.from_geometry(g)
    t = optics.thickness_for_wavelength(slab, "film", 430e-9, 643e-9, 2)
    assert t == pytest.approx(62.08e-9, abs=0.01e-9)          # the shipped geometry's film
    m = optics.slab_modes(slab.with_layer("film", thickness=t), 643e-9, "TE", 1)[0]
    assert m.n_eff == pytest.approx(643 / 430, abs=1e-6)       # λ = 2 n_eff Λ / 2
    assert m.confinement["film"] == pytest.approx(0.27, abs=0.01)   # physics.md §10: Γ ≈ 0.27
    lam, n, problem = g.laser_check()
    assert problem is None and lam == pytest.approx(643e-9, abs=0.01e-9)


def test_cqd_filled_grating_cannot_lase_at_643_and_says_why():
    g = geometry.load_geometry(ROOT / "geometries" / "dfb-mgf2.toml")
    slab = optics.Slab.from_geometry(g)
    assert optics.thickness_for_wavelength(slab, "film", 430e-9, 643e-9, 2) is None
    why = optics.why_no_thickness(slab, "film", 430e-9, 643e-9, 2)
    assert "guides too strongly" in why and "1.4953 needed" in why
    lam, n, problem = g.laser_check()
    assert lam > 700e-9 and "does not lase at its line" in problem


def test_check_warns_but_accepts_an_inconsistent_line(cli, tmp_path):
    r = cli("check", ROOT / "geometries" / "dfb-mgf2.toml")
    assert r.returncode == 0 and "warning:" in r.stderr and "laser.wavelength" in r.stderr
    r = cli("check", ROOT / "geometries" / "dfb-mgf2-643.toml")
    assert r.returncode == 0 and r.stderr == ""
    r = cli("modes", ROOT / "geometries" / "dfb-mgf2-643.toml", "--wavelength", "643nm", "--json")
    import json

    line = json.loads(r.stdout)["laser_line"]
    assert line["consistent"] and line["bragg_wavelength_m"] == pytest.approx(643e-9, abs=0.05e-9)
    bad = tmp_path / "g.toml"
    bad.write_text('[laser]\nwavelength = "643 nm"\n[[layers]]\nname = "s"\nmaterial = "MgF2"\nthickness = "1 mm"\n'
                   '[[layers]]\nname = "f"\nmaterial = "CQD-inorganic"\nthickness = "100 nm"\nactive = true\n')
    r = cli("check", bad)
    assert r.returncode == 2 and r.stderr.startswith(f"{bad}: laser.period: ")


def test_grating_fill_for_the_line():
    import dataclasses

    from cqdfem.model.settings import ModesSettings
    from cqdfem.workflows.modes import grating_fill

    g = geometry.load_geometry(ROOT / "geometries" / "dfb-mgf2-643.toml",
                               overrides=['layers[1].pillars.fill="CQD-inorganic"', 'layers[2].thickness="50 nm"'])
    m = ModesSettings(wavelength=643e-9, period=430e-9, order=2, target_wavelength=643e-9, fill_with="spin-on-glass")
    f = grating_fill(g, m)
    x = f["cqd_share_of_gaps"]
    assert 0 < x < 1 and f["n_eff"] == pytest.approx(643 / 430, abs=1e-6)   # the forward solve lands on the line
    thick = dataclasses.replace(m)
    g100 = geometry.load_geometry(ROOT / "geometries" / "dfb-mgf2.toml")
    f = grating_fill(g100, thick)
    assert f["cqd_share_of_gaps"] is None and "outside" in f["why_none"]
