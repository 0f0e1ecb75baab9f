"""Verification studies: each solves a problem with a known answer at several resolutions and
returns the errors with the observed order of convergence.

The test suite asserts them (tests/test_thermal.py, tests/test_optics.py, tests/test_levels.py) and
the documentation's V&V pages plot them (docs/vv/), so a page shows exactly what the tests check.
Every study is usable alone::

    from cqdfem import verification
    s = verification.heat_interface_space()
    s.orders            # observed orders between successive refinements
"""

import dataclasses
import math
import tomllib

import numpy as np


@dataclasses.dataclass
class Study:
    """A convergence study: ``errors`` at ``sizes`` (mesh size or time step), against ``reference``."""
    name: str
    title: str
    reference: str                      # the exact answer it is measured against
    tags: dict                          # dimension, physics, method (as FESTIM's V&V book)
    size_label: str
    sizes: list
    errors: list
    expected_order: float | None = None
    error_label: str = "relative error"

    @property
    def orders(self):
        """Observed orders log(e_i/e_{i+1}) / log(h_i/h_{i+1})."""
        e, h = np.log(self.errors), np.log(self.sizes)
        return [float(x) for x in np.diff(e) / np.diff(h)]

    def plot(self, ax):
        """Error vs size on log-log axes, with a reference slope of the expected order."""
        ax.loglog(self.sizes, self.errors, "o-", label="cqdfem")
        if self.expected_order:
            h = np.array(self.sizes)
            ax.loglog(h, self.errors[-1] * (h / h[-1]) ** self.expected_order, "k--",
                      label=f"order {self.expected_order:g}")
        ax.set_xlabel(self.size_label)
        ax.set_ylabel(self.error_label)
        ax.set_title(self.title, fontsize=9)
        ax.legend(fontsize=8)
        ax.grid(True, which="both", alpha=0.3)


# --- heat ------------------------------------------------------------------------------------------

K_LOWER, K_UPPER, INTERFACE, LENGTH = 3.0, 0.5, 1e-6, 2e-6


def _rod(cells):
    """Two materials of 1 um each, ``cells`` cells through each, fixed at the bottom."""
    from cqdfem import geometry, mesh

    text = (f'[mesh]\nfilm_cells = {cells}\nmin_cells = {cells}\nmax_cell = "{1 / cells} um"\n'
            '[[layers]]\nname = "lower"\nmaterial = { conductivity = 3.0, density = 1000, heat_capacity = 1000 }\n'
            'thickness = "1 um"\n'
            '[[layers]]\nname = "upper"\nmaterial = { conductivity = 0.5, density = 2000, heat_capacity = 800 }\n'
            'thickness = "1 um"\nactive = true\n')
    g = geometry.parse_geometry(tomllib.loads(text))
    return g, mesh.create(g)


def heat_interface_space(cells=(4, 8, 16, 32)):
    """Steady heat through two materials (k = 3 and 0.5 W/m/K) with a manufactured solution:
    φ = sin(βz) below the interface, a quadratic above matched in value and flux, insulated top;
    −(kφ')' = s. P1 elements: L2 error O(h²)."""
    import ufl
    from dolfinx import fem
    from mpi4py import MPI

    from cqdfem import thermal

    beta = 1.2e6
    errors, sizes = [], []
    for n in cells:
        _, sm = _rod(n)
        s = thermal.HeatSolver(sm, fixed_temperature=0.0)
        z = ufl.SpatialCoordinate(sm.mesh)[0]
        d1 = beta * math.cos(beta * INTERFACE)
        c = -(K_LOWER / K_UPPER) * d1 / (2 * (LENGTH - INTERFACE))
        lower = z < INTERFACE
        phi = ufl.conditional(lower, ufl.sin(beta * z),
                              math.sin(beta * INTERFACE) + (K_LOWER / K_UPPER) * d1 * (z - INTERFACE)
                              + c * (z - INTERFACE) ** 2)
        src = ufl.conditional(lower, K_LOWER * beta ** 2 * ufl.sin(beta * z), -2 * K_UPPER * c)
        s.add_load(src * s.v * s.dx)
        s.steady()
        q = ufl.dx(metadata={"quadrature_degree": 8})
        e2 = fem.assemble_scalar(fem.form((s.u - phi) ** 2 * q))
        n2 = fem.assemble_scalar(fem.form(phi ** 2 * q))
        errors.append(math.sqrt(sm.comm.allreduce(e2, op=MPI.SUM) / sm.comm.allreduce(n2, op=MPI.SUM)))
        sizes.append(LENGTH / (2 * n))
    return Study("heat-interface-space", "Steady heat across a material interface: L2 error vs h",
                 "manufactured solution, sin(βz) | matched quadratic, flux-continuous at the interface",
                 {"dimension": "1D", "physics": "heat", "method": "manufactured solution"},
                 "cell size h (m)", sizes, errors, 2.0)


def heat_interface_time(scheme="bdf2", steps=(10, 20, 40, 80)):
    """Transient heat u = g(t) φ(z), g = 1 − e^{−t/τ}, φ piecewise linear and flux-continuous: P1 holds
    φ exactly (with the consistent mass), so the error at the top is the time scheme's alone:
    O(Δt²) for bdf2 and cn, O(Δt) for euler."""
    import ufl

    from cqdfem import thermal

    tau, end = 2e-9, 4e-9
    g_t = lambda t: 1 - math.exp(-t / tau)          # noqa: E731
    dg_t = lambda t: math.exp(-t / tau) / tau       # noqa: E731
    g, sm = _rod(4)
    errors, sizes = [], []
    for n in steps:
        s = thermal.HeatSolver(sm, fixed_temperature=0.0, scheme=scheme, mass="consistent")
        z = ufl.SpatialCoordinate(sm.mesh)[0]
        phi = ufl.conditional(z < INTERFACE, z, INTERFACE + (K_LOWER / K_UPPER) * (z - INTERFACE)) * 1e6
        s.add_load(s.rho_c * phi * s.v * s.dx, dg_t)
        s.add_flux("top", K_LOWER * 1e6, profile=g_t)      # k_upper φ'(top) g(t)
        s.run(np.linspace(0, end, n + 1), energy=False)
        exact = g_t(end) * (INTERFACE + (K_LOWER / K_UPPER) * (g.thickness - INTERFACE)) * 1e6
        errors.append(abs(s.measure(end)["film_max_temperature_K"] - exact) / exact)
        sizes.append(end / n)
    order = {"bdf2": 2.0, "cn": 2.0, "euler": 1.0}[scheme]
    return Study(f"heat-interface-time-{scheme}", f"Transient heat, {scheme}: top temperature error vs Δt",
                 "manufactured solution g(t) φ(z), exact in space", {"dimension": "1D", "physics": "heat",
                                                                     "method": f"manufactured solution, {scheme}"},
                 "time step Δt (s)", sizes, errors, order)


# --- optics ----------------------------------------------------------------------------------------

def slab_neff(cells=(4, 8, 16), thickness=200e-9, wavelength=640e-9):
    """TE0 n_eff of a film (1.97) on glass (1.52) under air by quadratic elements against the
    closed-form dispersion relation: eigenvalue error O(h⁴)."""
    from cqdfem import optics

    s = optics.Slab(substrate=1.52, layers=(("film", thickness, 1.97),), cover=1.0)
    exact = optics.te_dispersion(1.52, 1.97, 1.0, thickness, wavelength)
    errors = [abs(optics.slab_modes(s, wavelength, "TE", n_modes=1, cells_per_layer=c)[0].n_eff - exact)
              for c in cells]
    return Study("slab-neff", "Slab waveguide TE0: n_eff error vs cells per layer",
                 "asymmetric slab dispersion relation (closed form, solved to 1e-14)",
                 {"dimension": "1D", "physics": "optics", "method": "closed form"},
                 "1 / cells per layer", [1 / c for c in cells], errors, 4.0, "|n_eff − exact|")




# --- FDTR ------------------------------------------------------------------------------------------

def fdtr_stack():
    """The FDTR stack of seed 000/001 (Si 500 µm / CQD 150 nm / Au 94 nm) and 3.4 µm beams."""
    from cqdfem import fdtr

    return [fdtr.Layer("Si", 500e-6, 148.0, 2330 * 750), fdtr.Layer("CQD", 150e-9, 0.24, 2633 * 374),
            fdtr.Layer("Au", 94e-9, 147.0, 19300 * 130)], 3.4e-6, 3.4e-6


def cahill_response(layers, f, w0, w1):
    """Cahill (2004), written apart from cqdfem.fdtr: the product of 2×2 layer matrices top → bottom,
    isothermal back (θ = 0): Z = −B/A; each matrix divided by cosh(qd) (tanh only) so a thick
    substrate does not overflow; the Hankel integral by adaptive quadrature, real and imaginary parts
    apart."""
    from scipy.integrate import quad

    w2 = w0**2 + w1**2

    def Z(k):
        M = np.eye(2, dtype=complex)
        for layer in reversed(layers):                    # top layer first
            q = np.sqrt((layer.k_in * k**2 + 2j * math.pi * f * layer.heat_capacity) / layer.conductivity)
            t = np.tanh(q * layer.thickness)
            M = np.array([[1, -t / (layer.conductivity * q)], [-layer.conductivity * q * t, 1]]) @ M
        return -M[0, 1] / M[0, 0]

    kmax = 7 * 2 * math.sqrt(2) / math.sqrt(w2)
    g = lambda k, part: part(Z(k)) * math.exp(-k * k * w2 / 8) * k / (2 * math.pi)    # noqa: E731
    return complex(*(quad(g, 0, kmax, args=(p,), limit=400, epsabs=0, epsrel=1e-12)[0] for p in (np.real, np.imag)))


def fdtr_phase(degree=2, cells=((3, 4), (6, 8)), frequencies=None):
    """The DOLFINx frequency-domain FDTR solve (u + iv on the axisymmetric stack) against the
    independent Cahill product: the largest phase error over 10 kHz-20 MHz vs the mesh (cells per
    thin layer, per beam radius), O(h⁴) for P2 and O(h²) for P1."""
    from cqdfem import fdtr

    stack, w0, w1 = fdtr_stack()
    f = np.geomspace(1e4, 2e7, 6) if frequencies is None else np.asarray(frequencies)
    exact = np.array([cahill_response(stack, fi, w0, w1) for fi in f])
    errors, amplitude = [], []
    for film, lateral in cells:
        fe = fdtr.fe_response(stack, f, w0, w1, film_cells=film, lateral_cells=lateral, degree=degree)
        errors.append(float(np.max(np.abs(np.degrees(np.angle(fe / exact))))))
        amplitude.append(float(np.max(np.abs(np.abs(fe / exact) - 1))))
    study = Study(f"fdtr-phase-p{degree}", f"FDTR phase, P{degree}: largest error over 10 kHz-20 MHz",
                  "multilayer analytic solution (Cahill's 2×2 matrix product, Hankel transform)",
                  {"dimension": "2D axisymmetric", "physics": "frequency-domain heat", "method": "closed form"},
                  "1 / cells per thin layer", [1 / c[0] for c in cells], errors, 4.0 if degree == 2 else 2.0,
                  "max |phase error| (°)")
    study.amplitude_errors = amplitude
    return study


# --- gain ------------------------------------------------------------------------------------------

LEVEL_CASES = ((1.0, 0.0), (1.0, 8 / 3), (1.0, 1.0), (1 / 3, 0.0), (1 / 3, 4 / 3), (0.1, 0.5), (0.6, 5.0),
               (0.0, 2.0))


def level_thresholds_closed_form(a, b):
    """Seed 003's level pictures in closed form: (binomial, Poisson) gain thresholds ⟨N⟩_th.

    Band-edge excitation fills the two slots with probability p: 2a(1−p)² + 2p(1−p)(a−1+b) − 2p² = 0,
    i.e. b p² − (b−a−1) p − a = 0 (p = a/(1+a) for b = 0), ⟨N⟩ = 2p. Poisson excitation:
    e^{−m}(A + Bm) = 2 with A = 2a + 2, B = a + 1 + b, solved by Lambert W (lower branch)."""
    from scipy import special

    p = a / (1 + a) if b == 0 else ((b - a - 1) + math.sqrt((b - a - 1) ** 2 + 4 * a * b)) / (2 * b)
    A, B = 2 * a + 2, a + 1 + b
    m = float(np.real(-A / B - special.lambertw(-(2 / B) * math.exp(-A / B), -1)))
    return 2 * p, m


def level_thresholds(cases=LEVEL_CASES):
    """[(model, a, b, closed binomial, cqdfem binomial, closed Poisson, cqdfem Poisson)]: the gain
    model's root finding against the closed forms."""
    from cqdfem.lasing import gain

    rows = []
    for a, b in cases:
        name = "three-level" if a == 1.0 else "four-level"
        model = gain.GainModel(name, lasing_line_absorption=a, biexciton_absorption=b)
        cb, cp = level_thresholds_closed_form(a, b)
        rows.append((name, a, b, cb, model.gain_threshold("binomial"), cp, model.gain_threshold("poisson")))
    return rows


# name -> study (the V&V pages and tests/test_docs.py list them)
STUDIES = {"heat-interface-space": heat_interface_space, "heat-interface-time-bdf2": heat_interface_time,
           "slab-neff": slab_neff, "fdtr-phase-p2": fdtr_phase}
