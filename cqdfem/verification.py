"""Verification studies: each solves a problem with a known answer at several resolutions and
returns the errors with the observed order of convergence.

The test suite asserts them (tests/test_thermal.py, test_optics.py, test_levels.py,
test_vectormodes.py, test_bands.py, test_absorption.py, test_coupling.py, test_uq.py, test_fdtr.py) and
the documentation's V&V pages plot them (docs/vv/), so a page shows exactly what the tests check.
Every study is usable alone::

    from cqdfem import verification
    s = verification.heat_interface_space()
    s.orders            # observed orders between successive refinements
"""

import dataclasses
import math
import os
import pathlib
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


# half-loaded rectangular metal guide (units arbitrary; the solver only sees k0·lengths): width A,
# height B, ε_d below D — the DOLFINx demo's benchmark, derived again here (Harrington's LSE/LSM)
HL_A, HL_B, HL_EPS = 1.0, 0.45, 2.45
HL_D = 0.5 * HL_B


def _ky_terms(kz, m, k0, tm):
    """k_y cot(k_y L) (LSE) or k_y tan(k_y L)/ε (LSM) summed over the two layers, real for any k_y²."""
    kx = m * math.pi / HL_A
    total = 0.0
    for eps, L in ((HL_EPS, HL_D), (1.0, HL_B - HL_D)):
        ky2 = k0 ** 2 * eps - kx ** 2 - kz ** 2
        k = math.sqrt(abs(ky2))
        if tm:
            total += (k * math.tan(k * L) if ky2 > 0 else -k * math.tanh(k * L)) / eps
        else:
            total += k / math.tan(k * L) if ky2 > 0 else k / math.tanh(k * L)
    return total


def half_loaded_exact(wavelength, modes=5):
    """n_eff = k_z/k0 of every propagating LSE (TE^y, lateral order m >= 0: E ∝ cos(mπx/a) x̂ for
    m = 0) and LSM (TM^y, m >= 1) mode of the half-loaded guide up to lateral order ``modes``,
    from Harrington's transcendental equations, bracketed on a fine grid and solved by brentq."""
    from scipy.optimize import brentq

    k0 = 2 * math.pi / wavelength
    out = []
    for m in range(0, modes + 1):
        for tm in (False, True) if m else (False,):
            g = np.linspace(1e-9, k0 * math.sqrt(HL_EPS) * (1 - 1e-12), 40001)
            v = np.array([_ky_terms(x, m, k0, tm) for x in g])
            for i in np.nonzero(np.sign(v[:-1]) != np.sign(v[1:]))[0]:
                if abs(v[i] - v[i + 1]) < 10 * k0:          # a root, not a pole of tan/cot
                    out.append(brentq(_ky_terms, g[i], g[i + 1], args=(m, k0, tm), xtol=1e-15) / k0)
    return sorted(out, reverse=True)


def half_loaded_section(nx, wavelength, comm=None, ny=None):
    """The half-loaded guide as a cqdfem.vectormodes section: nx cells across, ny up each half
    (default: cells about square)."""
    from mpi4py import MPI

    from cqdfem import vectormodes

    ny = ny or int(round(nx * HL_B / HL_A / 2))
    y = np.concatenate([np.linspace(0, HL_D, ny + 1), np.linspace(HL_D, HL_B, ny + 1)[1:]])
    return vectormodes.rectangle(comm or MPI.COMM_WORLD, np.linspace(0, HL_A, nx + 1), y,
                                 ["dielectric", "vacuum"], [math.sqrt(HL_EPS), 1.0],
                                 lambda x, y: np.where(y < HL_D, 0, 1), wavelength)


def half_loaded(degree=2, cells=(10, 20, 40)):
    """The 2D vector mode solver (Nédélec × Lagrange of ``degree``) on the half-loaded guide's single
    LSM mode (λ = B/0.2) against Harrington's equation: n_eff error O(h^{2·degree}). The cells keep
    one shape under refinement (nx/5 up each half: 0.1 × 0.1125 of the width at nx = 10), so each
    level halves h exactly."""
    from cqdfem import vectormodes

    lam = HL_B / 0.2
    exact = half_loaded_exact(lam)[0]
    errors = [abs(vectormodes.vector_modes(half_loaded_section(n, lam, ny=max(1, n // 5)), count=1, degree=degree,
                                           guided_only=False).modes[0].n_eff - exact) for n in cells]
    return Study(f"half-loaded-p{degree}", f"Half-loaded metal guide, degree {degree}: n_eff error vs h",
                 "LSM mode from Harrington's transcendental equation (root to 1e-15)",
                 {"dimension": "2D", "physics": "optics (full vector)", "method": "closed form"},
                 "cell size h / guide width", [1 / n for n in cells], errors, 2.0 * degree, "|n_eff − exact|")


def band_edges(rungs=((6, 2), (12, 4), (24, 8), (48, 16)), geometry=None):
    """Band edges of a DFB cell (default: the repository's geometries/dfb-mgf2-643.toml; TE, Γ
    point, P2) under refinement: no closed form exists for the real grating, so the error of each
    rung is its distance to the next finer one (both edges, relative), which converges at the P2
    eigenvalue order 4 — the test also asserts the default (24, 8) within 1e-5 of the finest.

    ``geometry``: a geometry file's path. An installed package has no geometries/ beside it (the
    image's, a wheel's), so pass the path there."""
    from mpi4py import MPI

    from cqdfem import bands, optics
    from cqdfem.geometry import load_geometry

    path = pathlib.Path(geometry) if geometry is not None else \
        pathlib.Path(__file__).resolve().parents[1] / "geometries" / "dfb-mgf2-643.toml"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such geometry file (band_edges(geometry=PATH) takes the "
                                "DFB cell's geometry file; outside the repository pass its path)")
    geo = load_geometry(path)
    slab, grating = optics.Slab.from_geometry(geo), bands.Grating.from_geometry(geo)
    runs = [bands.band_edges(slab, grating, cells=c, cells_per_layer=k, comm=MPI.COMM_SELF) for c, k in rungs]
    edges = [np.array(r.edges) for r in runs]
    errors = [float(np.abs(edges[i] / edges[i + 1] - 1).max()) for i in range(len(runs) - 1)]
    study = Study("band-edges", "DFB band edges (P2): change per refinement",
                  "self-convergence (each rung against the next finer; no closed form for the real grating)",
                  {"dimension": "2D periodic", "physics": "optics (Bloch)", "method": "self-convergence"},
                  "1 / cells per period", [1 / c for c, _ in rungs[:-1]], errors, 4.0,
                  "max relative change of the edges")
    study.runs, study.rungs = runs, rungs          # the runs and their (cells, cells per layer)
    return study


def weak_grating(contrasts=(0.04, 0.02, 0.01)):
    """The band gap of a weak lines grating in a symmetric slab (1.45 | 1.70, 200 nm | 1.45, period
    400 nm, second order) against first-order coupled-wave theory, Δλ = λ Γ_ε abs(Δε ε_2), in closed
    form for the slab's TE0 mode: the finite-element gap differs from it by a term second order in the
    modulation, so the relative difference falls as Δε¹."""
    from mpi4py import MPI

    from cqdfem import bands, optics

    nc, nf, d, period = 1.45, 1.70, 200e-9, 400e-9
    slab = optics.Slab(substrate=nc, layers=(("core", d, nf),), cover=nc)

    def bragg(n_core):                    # λ = 2 n_eff(λ) Λ / 2, fixed point of the dispersion relation
        lam = 640e-9
        for _ in range(100):
            lam = optics.te_dispersion(nc, n_core, nc, d, lam) * period
        return lam

    def gamma_eps(n_core, lam):           # ∫_core f² / ∫ ε f² of the symmetric slab's TE0, closed form
        n = optics.te_dispersion(nc, n_core, nc, d, lam)
        k0 = 2 * math.pi / lam
        kap, gam = k0 * math.sqrt(n_core ** 2 - n ** 2), k0 * math.sqrt(n ** 2 - nc ** 2)
        core = d / 2 + math.sin(kap * d) / (2 * kap)
        clad = math.cos(kap * d / 2) ** 2 / gam
        return core / (n_core ** 2 * core + nc ** 2 * clad)

    errors, rows = [], []
    for delta in contrasts:
        g = bands.Grating("core", period, period / 4, math.sqrt(nf ** 2 + delta), nf, "lines")
        b = bands.band_edges(slab, g, comm=MPI.COMM_SELF)
        n0 = math.sqrt(g.mean_permittivity)
        lam0 = bragg(n0)
        predicted = lam0 * gamma_eps(n0, lam0) * delta * g.fourier(2)
        errors.append(abs((b.edges[1] - b.edges[0]) / predicted - 1))
        rows.append((delta, b, predicted))
    study = Study("weak-grating", "Weak grating: band gap vs first-order coupled-wave theory",
                  "coupled-wave theory, Δλ = λ Γ_ε |Δε ε_2| (closed-form slab mode); exact as Δε → 0",
                  {"dimension": "2D periodic", "physics": "optics (Bloch)", "method": "asymptotic closed form"},
                  "permittivity contrast Δε", list(contrasts), errors, 1.0, "relative difference of the gap")
    study.rows = rows
    return study


# a peer: femwell (scikit-fem + scipy) on the same meshes. femwell is not a runtime package; `make
# femwell` (run by `make docs`, `make bench-modes` and, non-fatally, `make test`) pip-installs it (pure
# Python, pinned) into FEMWELL_DIR with the host's pip, else the runtime's. CQDFEM_FEMWELL must be
# under /tmp or the repository: the runtime sees only those.
FEMWELL_DIR = pathlib.Path(os.environ.get("CQDFEM_FEMWELL", "/tmp/cqdfem-femwell"))


def femwell_mode(section, wavelength):
    """femwell's fundamental mode on ``section``'s own triangles (µm units), second order (its
    ``n_eff``, its ``basis.N`` dofs); femwell from FEMWELL_DIR or the path."""
    import sys

    from cqdfem import compat

    if str(FEMWELL_DIR) not in sys.path:
        sys.path.insert(0, str(FEMWELL_DIR))
    from femwell.maxwell.waveguide import compute_modes
    from skfem import Basis, ElementTriP0, MeshTri

    points = section.mesh.geometry.x[:, :2] / section.k0 * 1e6
    cells = compat.geometry_dofmap(section.mesh)[:, :3]
    mesh = MeshTri(np.ascontiguousarray(points.T), np.ascontiguousarray(cells.T))
    basis0 = Basis(mesh, ElementTriP0())
    eps = basis0.zeros()
    eps[:] = section.permittivity()
    return compute_modes(basis0, eps, wavelength=wavelength * 1e6, num_modes=1, order=2)[0]


def ridge_peer(ladder=((4, 2), (6, 3), (8, 4)), reference=(24, 8)):
    """A CQD ridge (n = 1.97, 200 nm × 2 µm) on glass under air at 630 nm, its quasi-TE0 mode, by
    cqdfem.vectormodes and by femwell on the same triangles with second-order elements, against
    cqdfem's answer on a fine mesh (half width, PEC symmetry plane). No closed form exists: the check
    is that two independent codes converge to one n_eff at the same order. ``peer_errors`` holds
    femwell's errors, ``difference`` = ``|cqdfem − femwell|`` per mesh."""
    from mpi4py import MPI

    from cqdfem import optics, vectormodes

    lam = 630e-9
    slab = optics.Slab(1.52, (("film", 200e-9, 1.97),), 1.0)
    ridge = ("film", 2e-6)
    ref_cells, ref_res = reference
    exact = vectormodes.vector_modes(vectormodes.from_slab(slab, lam, ridge=ridge, symmetry="pec",
                                                           cells_per_layer=ref_cells, resolution=ref_res,
                                                           comm=MPI.COMM_SELF), count=1).modes[0].n_eff
    ours, theirs, sizes = [], [], []
    for cpl, res in ladder:
        sec = vectormodes.from_slab(slab, lam, ridge=ridge, cells_per_layer=cpl, resolution=res, comm=MPI.COMM_SELF)
        ours.append(vectormodes.vector_modes(sec, count=1).modes[0].n_eff)
        theirs.append(float(np.real(femwell_mode(sec, lam).n_eff)))
        sizes.append(1 / cpl)
    study = Study("ridge-peer", "CQD ridge quasi-TE0: cqdfem and femwell on the same meshes",
                  f"cqdfem on a fine mesh ({ref_cells} cells per layer, half width): n_eff = {exact:.10f}",
                  {"dimension": "2D", "physics": "optics (full vector)", "method": "peer comparison (femwell)"},
                  "1 / cells per layer", sizes, [abs(n - exact) for n in ours], None, "|n_eff − reference|")
    study.reference_neff, study.ours, study.theirs = exact, ours, theirs
    study.peer_errors = [abs(n - exact) for n in theirs]
    study.difference = [abs(a - b) for a, b in zip(ours, theirs)]
    return study


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


# --- pump absorption -------------------------------------------------------------------------------

def absorption_closed_forms(wavelength=442e-9):
    """The transfer-matrix absorption (cqdfem.absorption) against closed forms, as rows
    (check, cqdfem, exact, tolerance): Airy's single film (r, t), Fresnel's metal reflectance,
    Beer-Lambert in a thick index-matched absorber (to the ~1e-5 its tiny index step reflects), energy
    conservation R + T + ΣA = 1 for absorbing multilayers at oblique s and p incidence, and the absorbed
    profile integrating (Simpson) to each layer's absorptance."""
    import cmath

    from scipy.integrate import simpson

    from cqdfem import absorption as ab

    rows = []
    n0, n1, n2, d = 1.0, 1.97 + 0.078j, 1.38, 120e-9
    c = ab.coherent([n0, n1, n2], [d], wavelength)
    r01, r12 = (n0 - n1) / (n0 + n1), (n1 - n2) / (n1 + n2)
    t01, t12 = 2 * n0 / (n0 + n1), 2 * n1 / (n1 + n2)
    beta = 2 * math.pi / wavelength * n1 * d
    e = cmath.exp(2j * beta)
    rows.append(("Airy single film: r", c.r, (r01 + r12 * e) / (1 + r01 * r12 * e), 1e-14))
    rows.append(("Airy single film: t", c.t, t01 * t12 * cmath.exp(1j * beta) / (1 + r01 * r12 * e), 1e-14))
    metal = 0.6 + 5.3j                                   # Al at 442 nm
    res = ab.stack_absorption([], 1.0, ("Al", None, metal), wavelength)
    rows.append(("Fresnel: Al reflectance", res.reflectance, abs((1 - metal) / (1 + metal)) ** 2, 1e-13))
    k, thick = 0.01, 5e-6
    c = ab.coherent([1.5, 1.5 + 1j * k, 1.5], [thick], wavelength)
    rows.append(("Beer-Lambert: 5 µm, k = 0.01", c.layer_absorptance(1),
                 1 - math.exp(-4 * math.pi * k * thick / wavelength), 3e-5))
    z1, z2 = np.linspace(0, 100e-9, 4001), np.linspace(0, 50e-9, 4001)
    for pol in ("s", "p"):
        for angle in (0.0, 0.5, 1.2):
            c = ab.coherent([1.0, 1.97 + 0.08j, 1.5 + 0.1j, 4.7 + 0.15j], [100e-9, 50e-9], wavelength, angle, pol)
            A = [c.layer_absorptance(1), c.layer_absorptance(2)]
            rows.append((f"R + T + ΣA, {pol}, {angle:g} rad", c.reflectance + c.transmittance + sum(A), 1.0, 1e-12))
            for j, z in ((1, z1), (2, z2)):
                rows.append((f"∫ profile = A, layer {j}, {pol}, {angle:g} rad",
                             float(simpson(c.density(j, z), x=z)), A[j - 1], 1e-11))
    return rows


# --- the coupled loop ------------------------------------------------------------------------------

def loop_stop_closed_form(d=1e-6, absorptance=0.5, intensity=2e9, reference=1.2e9, T0=40.0,
                          conductivity=30.0, rho_c=3180.0 * 1003.0):
    """When lasing stops for a film of thickness d heated uniformly (A·I/d, no PLQY, no stimulated
    share: the heat does not depend on the lasing state) on a half-space of the same material, with
    threshold(T) = I_ref e^{(T−295)/T0}: the top's temperature is the layer-source solution
    295 + (Q/ρc) ∫_0^t erf(d / 2√(ατ)) dτ (Carslaw & Jaeger), and lasing stops where it reaches
    295 + T0 ln(I/I_ref). Returns (stop time, stop temperature)."""
    from scipy import integrate, optimize
    from scipy.special import erf

    alpha, Q = conductivity / rho_c, absorptance * intensity / d
    T_stop = 295.0 + T0 * math.log(intensity / reference)

    def top(t):
        return 295.0 + Q / rho_c * integrate.quad(lambda tau: erf(d / (2 * math.sqrt(alpha * tau))), 0, t)[0]

    return optimize.brentq(lambda t: top(t) - T_stop, 1e-10, 1e-4, xtol=1e-16), T_stop


def loop_stop_time(levels=((4, 1.2, 0.1), (8, 1.1, 0.05), (16, 1.05, 0.025), (32, 1.025, 0.0125))):
    """The FEM coupled loop (cqdfem.coupling.run_fem: BDF2 steps, the stop located inside a step)
    against :func:`loop_stop_closed_form`. Each level refines three things together — cells through
    the 1 µm film, the substrate's grading (growth factor of the cells below the film: by the stop,
    ~85 ns, heat has gone ~0.9 µm into the substrate, so the grading's error matters as much as the
    film's) and the time steps (largest step as a fraction of t) — as refining the film alone stalls at
    ~7e-4. P1 in space and BDF2 in time: O(h²)."""
    from cqdfem import coupling, geometry, mesh, thermal
    from cqdfem.lasing import threshold as th
    from cqdfem.lasing.heat import HeatModel

    d, A, intensity = 1e-6, 0.5, 2e9
    exact, _ = loop_stop_closed_form(d, A, intensity)
    law = th.T0(1.2e9, T0=40.0)
    device = coupling.Device(HeatModel(absorptance=A, plqy=0.0, thickness=d), law)
    solid = "{ conductivity = 30.0, density = 3180.0, heat_capacity = 1003.0 }"
    errors, sizes = [], []
    for cells, growth, ratio in levels:
        text = (f'[mesh]\nfilm_cells = {cells}\ngrowth = {growth}\n[[layers]]\nname = "substrate"\n'
                f'material = {solid}\nthickness = "300 um"\n[[layers]]\nname = "film"\nmaterial = {solid}\n'
                'thickness = "1 um"\nactive = true\n')
        sm = mesh.create(geometry.parse_geometry(tomllib.loads(text)))
        solver = thermal.HeatSolver(sm)
        _, ev = coupling.run_fem(solver, device, coupling.Pump(intensity, thermal.Profile()),
                                 thermal.time_grid(3 * exact, 1e-10, ratio))
        solver.free()
        errors.append(abs(ev["lasing_stop_s"] / exact - 1))
        sizes.append(d / cells)
    study = Study("loop-stop-time", "Coupled loop: lasing stop time vs the closed form",
                  "layer-source solution (Carslaw & Jaeger) through threshold(T)'s inverse",
                  {"dimension": "1D", "physics": "heat + lasing (coupled)", "method": "closed form"},
                  "film cell size h (m); grading and steps refined with it", sizes, errors, 2.0,
                  "relative error of the stop time")
    study.exact = exact
    return study


# --- uncertainty -----------------------------------------------------------------------------------

def ishigami_exact(a=7.0, b=0.1):
    """First-order and total Sobol indices of the Ishigami function sin x1 + a sin² x2 + b x3⁴ sin x1
    on [−π, π]³, in closed form (Ishigami & Homma 1990)."""
    V = a ** 2 / 8 + b * math.pi ** 4 / 5 + b ** 2 * math.pi ** 8 / 18 + 0.5
    V1, V2 = 0.5 * (1 + b * math.pi ** 4 / 5) ** 2, a ** 2 / 8
    VT3 = 8 * b ** 2 * math.pi ** 8 / 225
    return np.array([V1 / V, V2 / V, 0.0]), np.array([(V1 + VT3) / V, V2 / V, VT3 / V])


def sobol_ishigami(sizes=(2 ** 8, 2 ** 10, 2 ** 12, 2 ** 14), seeds=range(6), a=7.0, b=0.1):
    """cqdfem.uq.sobol (scrambled Sobol points, Saltelli first-order and Jansen total estimators)
    on the Ishigami function against its closed-form indices: the root-mean-square over ``seeds`` of
    the largest index error, vs the base sample size n (n·(d+2) evaluations). Monte Carlo would
    converge as n^−½; quasi-Monte Carlo points do at least that well. ``coverage`` is the share of
    indices whose bootstrap 95 % interval holds the exact value at the largest n."""
    from cqdfem import uq

    x = uq.parse(f"uniform({-math.pi}, {math.pi})", "", "x")
    f = lambda v: np.sin(v[0]) + a * np.sin(v[1]) ** 2 + b * v[2] ** 4 * np.sin(v[0])     # noqa: E731
    first, total = ishigami_exact(a, b)
    errors, inside = [], []
    for n in sizes:
        worst = []
        for seed in seeds:
            (res,) = uq.sobol(f, [x, x, x], n=n, seed=seed, resamples=100)
            worst.append(max(np.abs(res["first"] - first).max(), np.abs(res["total"] - total).max()))
            if n == sizes[-1]:
                for key, exact in (("first", first), ("total", total)):
                    ci = res[f"{key}_ci"]
                    inside.extend((ci[:, 0] <= exact) & (exact <= ci[:, 1]))
        errors.append(float(np.sqrt(np.mean(np.square(worst)))))
    study = Study("sobol-ishigami", "Sobol indices of the Ishigami function: error vs sample size",
                  "closed-form first-order and total indices (Ishigami & Homma 1990)",
                  {"dimension": "3 inputs", "physics": "uncertainty", "method": "closed form"},
                  "1 / base sample size n", [1 / n for n in sizes], errors, 0.5,
                  f"largest index error (RMS over {len(list(seeds))} seeds)")
    study.coverage = float(np.mean(inside))
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
           "slab-neff": slab_neff, "half-loaded-p2": half_loaded, "ridge-peer": ridge_peer, "band-edges": band_edges,
           "weak-grating": weak_grating, "fdtr-phase-p2": fdtr_phase, "loop-stop-time": loop_stop_time,
           "sobol-ishigami": sobol_ishigami}
