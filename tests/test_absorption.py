"""Pump absorption by transfer matrix: closed forms (Airy, Fresnel, Beer-Lambert), energy
conservation, and the absorbed profile integrating to the layer absorptance."""

import numpy as np
import pytest
from scipy.integrate import simpson

from cqdfem import absorption as ab
from cqdfem import verification

LAM = 442e-9


def test_closed_forms():
    """cqdfem.verification.absorption_closed_forms (also the V&V page): Airy, Fresnel, Beer-Lambert,
    energy conservation and the profile's integral, each within its stated tolerance."""
    rows = verification.absorption_closed_forms(LAM)
    assert len(rows) == 4 + 2 * 3 * 3
    # the tolerances are this test's own (the page prints the study's; they must not be looser)
    tolerance = {"Airy": 1e-14, "Fresnel": 1e-13, "Beer-Lambert": 3e-5, "R + T": 1e-12, "∫ profile": 1e-11}
    for name, got, exact, tol in rows:
        mine = next(t for key, t in tolerance.items() if name.startswith(key))
        assert tol <= mine and abs(got - exact) < mine, (name, got, exact)
    # a metal substrate takes all it does not reflect
    res = ab.stack_absorption([], 1.0, ("Al", None, 0.6 + 5.3j), LAM)
    assert res.absorptance["Al"] == pytest.approx(1 - res.reflectance, rel=1e-13)
    # and the transmittance of the Airy film is |t|² n2/n0
    c = ab.coherent([1.0, 1.97 + 0.078j, 1.38], [120e-9], LAM)
    assert c.transmittance == pytest.approx(abs(c.t) ** 2 * 1.38, rel=1e-13)


@pytest.mark.parametrize("pol", ["s", "p"])
@pytest.mark.parametrize("angle", [0.0, 0.5, 1.2])
def test_energy_is_conserved_and_the_profile_integrates(pol, angle):
    for ns in ([1.0, 1.5, 2.0, 1.45], [1.0, 1.5 + 0.1j, 2.0 + 0.3j, 1.45], [1.0, 1.97 + 0.08j, 1.46, 4.7 + 0.15j]):
        c = ab.coherent(ns, [100e-9, 50e-9], LAM, angle, pol)
        A = [c.layer_absorptance(j) for j in (1, 2)]
        assert c.reflectance + c.transmittance + sum(A) == pytest.approx(1.0, abs=1e-12)
        for j, d in ((1, 100e-9), (2, 50e-9)):
            z = np.linspace(0, d, 4001)
            assert simpson(c.density(j, z), x=z) == pytest.approx(A[j - 1], abs=1e-11)
            if np.imag(ns[j]) == 0:
                assert A[j - 1] == pytest.approx(0.0, abs=1e-14)


def test_incoherent_substrate_adds_intensities():
    film = [("film", 120e-9, 1.97 + 0.078j)]
    res = ab.stack_absorption(film, 1.0, ("MgF2", 1e-3, 1.38), LAM)
    assert res.reflectance + res.transmittance + sum(res.absorptance.values()) == pytest.approx(1, abs=1e-13)
    semi = ab.stack_absorption(film, 1.0, ("MgF2", None, 1.38), LAM)
    # the back surface returns R_b = ((1.38-1)/(1.38+1))^2 of what entered; some of it the film takes
    R_b = ((1.38 - 1) / 2.38) ** 2
    assert res.absorptance["film"] > semi.absorptance["film"]
    assert res.absorptance["film"] - semi.absorptance["film"] < R_b * semi.transmittance
    z = np.linspace(0, 120e-9, 20001)
    assert np.trapezoid(res.profile("film", z), z) == pytest.approx(res.absorptance["film"], rel=1e-7)
    # a lossless film absorbs nothing; a thick absorbing substrate takes what enters it
    clear = ab.stack_absorption([("SiO2", 500e-9, 1.46)], 1.0, ("Si", 1e-3, 4.7 + 0.15j), LAM)
    assert clear.absorptance["SiO2"] == 0.0 and clear.transmittance == pytest.approx(0.0, abs=1e-300)
    assert clear.reflectance + clear.absorptance["Si"] == pytest.approx(1.0, abs=1e-13)
