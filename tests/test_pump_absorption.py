"""The device chain's optics: optical constants of the library, the pump absorption of a stack from
the model, and heat sources that deposit exactly what the optics says is absorbed (1D/2D/3D, MPI)."""

import math
import pathlib

import numpy as np
import pytest

from cqdfem import absorption, geometry, model
from cqdfem.errors import InputError
from cqdfem.materials import Library

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_cqd_extinction_from_cross_section_and_density():
    film = Library.default().get("CQD-inorganic")
    n = film.index(442e-9)
    # κ = σ N λ / 4π with σ = 1.0e-14 cm², N = 2.2e18 cm^-3 (physics.md §9: ≈ 0.08)
    assert n.imag == pytest.approx(1.0e-18 * 2.2e24 * 442e-9 / (4 * math.pi), rel=1e-12)
    assert n.real == 1.97 and film.index(643e-9) is None          # nothing said at 643 nm
    si = Library.default().get("Si")
    assert si.index(442e-9) == complex(4.7, 0.15)
    assert si.index(541e-9) == pytest.approx(complex((4.7 + 3.9) / 2, (0.15 + 0.02) / 2), rel=1e-12)
    assert si.index(700e-9) is None                               # no extrapolation
    assert Library.default().get("MgF2").index(442e-9) == complex(1.38, 0)


def test_bad_optical_constants_are_input_errors():
    lib = Library.default()
    for spec, words in (({"refractive_index": [["442 nm", 1.9, -0.1]]}, "k >= 0"),
                        ({"refractive_index": [["442 nm", 1.9]]}, "[wavelength, n, k]"),
                        ({"refractive_index": [["442 nm", 1.9, 0], ["442 nm", 2.0, 0]]}, "one row per"),
                        ({"absorption_cross_section": "1e-14 cm^2"}, "[cross-section, wavelength]"),
                        ({"dot_density": "-1 cm^-3"}, "positive"),
                        ({"extinction": -0.5}, "k >= 0")):
        with pytest.raises(InputError) as e:
            lib.resolve(spec, "materials.x", name="x")
        assert words in str(e.value), (spec, str(e.value))


def stack(substrate="MgF2", **options):
    return geometry.Geometry.of([("substrate", substrate, "200 um"), ("clad", "SiO2", "300 nm"),
                                 ("film", "CQD-inorganic", "120 nm", True)], **options)


PUMP = {"intensity": "50 kW/cm^2"}


def test_absorptance_defaults_to_optics_and_is_reported():
    m = model.create("thermal", stack(), pump=PUMP, film={"plqy": 0.15}, thermal={"end_time": "1 us"})
    direct = absorption.of_geometry(m.geometry, 442e-9)
    assert m.heat.absorptance == pytest.approx(direct.absorptance["film"], rel=1e-14)
    assert 0.2 < m.heat.absorptance < 0.3                 # physics.md §9: single pass ≈ 0.24
    rep = m.pump_absorption()
    assert rep["reflectance"] + rep["transmittance"] + sum(rep["absorptance"].values()) == pytest.approx(1, abs=1e-12)
    assert m.source.description["absorptance_from"].startswith("optics")
    given = model.create("thermal", stack(), pump=PUMP, film={"plqy": 0.15, "absorptance": 0.2},
                         thermal={"end_time": "1 us"})
    assert given.heat.absorptance == 0.2 and given.film_shape is None     # the paper's assumption, uniform
    assert given.pump_absorption()["absorptance"]["film"] == pytest.approx(m.heat.absorptance)


def test_optics_needs_optical_constants():
    g = geometry.Geometry.of([("substrate", "MgF2", "200 um"),
                              ("film", Library.default().resolve({"base": "CQD-inorganic", "refractive_index": 1.9,
                                                                  "absorption_cross_section": ["1e-14 cm^2", "355 nm"]},
                                                                 "m"), "120 nm", True)])
    with pytest.raises(InputError, match="film.absorptance.*no optical constants at 442 nm"):
        model.create("thermal", g, pump=PUMP, film={"plqy": 0.15, "absorptance": "optics"},
                     thermal={"end_time": "1 us"})
    with pytest.raises(InputError, match="film.absorptance.*optics cannot give it"):
        model.create("thermal", g, pump=PUMP, film={"plqy": 0.15}, thermal={"end_time": "1 us"})
    m = model.create("thermal", g, pump=PUMP, film={"plqy": 0.15, "absorptance": 0.2}, thermal={"end_time": "1 us"})
    assert "no optical constants" in m.pump_absorption()["unknown"]


def test_sweep_refuses_a_second_absorber():
    with pytest.raises(InputError, match="substrate also absorb"):
        model.create("sweep", stack("Si"), film={"plqy": 0.15}, thermal={"end_time": "1 us"},
                     threshold={"at_reference": "50 kW/cm^2", "T0": "70 K"},
                     sweep={"thresholds": ["50 kW/cm^2"], "pump_ratios": [1.5]})


@pytest.mark.mpi
@pytest.mark.parametrize("options", [
    {"dimension": 1},
    {"dimension": 2, "coordinates": "axisymmetric", "width": "200 um", "spot_diameter": "40 um"},
    {"dimension": 3, "width": "60 um", "depth": "60 um", "spot": ["20 um", "16 um"]},
], ids=["1D", "2D-axisymmetric", "3D"])
def test_sources_deposit_exactly_what_is_absorbed(comm, options):
    from cqdfem import mesh
    from cqdfem.workflows.thermal import add_layer_heat, heat_solver

    m = model.create("thermal", stack("Si", **options), pump=PUMP, film={"plqy": 0.15},
                     thermal={"end_time": "1 us"})
    assert [h.layer for h in m.layer_heat] == ["substrate"] and m.layer_heat[0].heat_fraction == 1.0
    sm = mesh.create(m.geometry, comm)
    solver = heat_solver(sm, m)
    solver.add_source(m.source.power_density, profile=m.profile, shape=m.film_shape)
    add_layer_heat(solver, m)
    g = m.geometry
    spot_area = solver.volume("film.spot") / g.active.thickness if options["dimension"] > 1 else 1.0
    A = m.absorption.absorptance
    expected = 5e8 * spot_area * (A["film"] * m.heat.heat_fraction() + A["substrate"])
    assert solver.source_power(1e-7) == pytest.approx(expected, rel=1e-12)
    assert solver.deposited_power(1e-7) == pytest.approx(expected, rel=1e-9)
    solver.free()


def test_depth_shape_follows_the_profile():
    g = stack("Si")
    res = absorption.of_geometry(g, 442e-9)
    film = g.active
    f = absorption.depth_shape(res, "film", film.z1, 1)
    z = np.linspace(film.z0, film.z1, 7)
    x = np.zeros((3, z.size))
    x[0] = z
    assert f(x) == pytest.approx(res.profile("film", film.z1 - z), rel=1e-14)
    assert f(x)[-1] > f(x)[0]                 # more absorbed at the top, where the pump enters
    sub = absorption.depth_shape(res, "substrate", g.layers[0].z1, 1)
    alpha = 4 * math.pi * 0.15 / 442e-9
    x[0] = g.layers[0].z1 - np.array([0, 1e-7, 2e-7, 0, 0, 0, 0])
    assert sub(x)[:3] == pytest.approx(np.exp(-alpha * np.array([0, 1e-7, 2e-7])), rel=1e-12)


def test_oblique_pump_in_a_case():
    m0 = model.create("thermal", stack(), pump=PUMP, film={"plqy": 0.15}, thermal={"end_time": "1 us"})
    for pol in ("s", "p"):
        m = model.create("thermal", stack(), pump={**PUMP, "angle": "40 deg", "polarization": pol},
                         film={"plqy": 0.15}, thermal={"end_time": "1 us"})
        rep = m.pump_absorption()
        assert "40 deg, " + pol in rep["assumptions"]
        assert rep["reflectance"] + rep["transmittance"] + sum(rep["absorptance"].values()) == pytest.approx(1, abs=1e-12)
        assert m.heat.absorptance != pytest.approx(m0.heat.absorptance, rel=1e-3)
    with pytest.raises(InputError, match="pump.angle"):
        model.create("thermal", stack(), pump={**PUMP, "angle": "95 deg"}, film={"plqy": 0.15},
                     thermal={"end_time": "1 us"})
