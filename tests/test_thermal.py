"""Transient heat solver against closed forms (Carslaw & Jaeger), convergence rates, MPI equality.

Tests marked ``mpi`` also run under ``mpirun -n 2``; they assert global numbers, so serial and
parallel must agree.
"""

import math
import re
import tomllib

import numpy as np
import pytest
from scipy import integrate
from scipy.special import erf, erfc

from cqdfem import geometry as caselib
from cqdfem import mesh as meshlib
from cqdfem import thermal, verification
from cqdfem.errors import SolverError

K, RHO, CP = 30.0, 3180.0, 1003.0          # MgF2-like, isotropic unless a test says otherwise
RHOC = RHO * CP
ALPHA = K / RHOC
SOLID = f"{{ conductivity = {K}, density = {RHO}, heat_capacity = {CP} }}"


def geometry(layers, mesh="", domain=""):
    text = f"{domain}\n[mesh]\n{mesh}\n" + "".join(
        f'[[layers]]\nname = "{n}"\nmaterial = {m}\nthickness = "{t}"\n{"active = true" if a else ""}\n'
        for n, m, t, a in layers)
    return caselib.parse_geometry(tomllib.loads(text))


def ierfc(x):
    return np.exp(-x * x) / math.sqrt(math.pi) - x * erfc(x)


# --- pure Python pieces --------------------------------------------------------------------------

def test_profile_values_integral_and_breaks():
    p = thermal.Profile(rise_time=3e-7, duration=1e-6, period=4e-6, pulses=2)
    t = np.linspace(0, 8e-6, 200001)
    f = p(t)
    assert f.max() == 1.0 and f.min() == 0.0
    assert p(1.5e-7) == pytest.approx(0.5) and p(4.15e-6) == pytest.approx(0.5)
    assert p(2e-6) == 0.0 and p(4.9e-6) == 1.0
    numeric = integrate.cumulative_trapezoid(f, t, initial=0)
    assert np.allclose(p.integral(t), numeric, atol=1e-10)
    assert p.integral(8e-6) == pytest.approx(2 * (1e-6 - 1.5e-7))
    assert p.breakpoints() == pytest.approx([0, 3e-7, 1e-6, 4e-6, 4.3e-6, 5e-6])
    assert p.jumps() == pytest.approx([1e-6, 5e-6])        # a ramp start is continuous
    assert thermal.Profile(duration=1e-6).in_step(5e-7, 1e-6, 1e-6) == 1.0   # left limit at the end
    for bad in ({"rise_time": -1.0}, {"rise_time": 2.0, "duration": 1.0}, {"pulses": 3, "duration": 1.0}):
        with pytest.raises(ValueError):
            thermal.Profile(**bad)


def test_time_grid_grows_geometrically_and_lands_on_marks():
    t = thermal.time_grid(4e-6, 1e-10, max_ratio=0.05, breakpoints=[1e-6], restarts=[1e-6],
                          outputs=[3.3e-7, 2.5e-6])
    assert t[0] == 0 and t[-1] == 4e-6 and np.all(np.diff(t) > 0)
    for mark in (3.3e-7, 1e-6, 2.5e-6):
        assert np.min(np.abs(t - mark)) == 0
    dt = np.diff(t)
    assert dt[0] == 1e-10
    after = np.searchsorted(t, 1e-6)
    assert dt[after] == pytest.approx(1e-10, rel=1e-6)        # restart after the source jump
    assert len(t) < 500                                       # five decades in a few hundred steps
    since = np.where(t[:-1] >= 1e-6, t[:-1] - 1e-6, t[:-1])  # time since the last restart
    assert np.all(dt <= 1.5 * np.maximum(1e-10, 0.05 * since) * (1 + 1e-9))   # a small part of t
    assert len(np.unique(np.round(dt / 1e-10, 6))) < 40       # few distinct steps = few matrices


# --- 1D: semi-infinite body, layered stacks, manufactured solutions ------------------------------

def half_space_1d(film_thickness="100 nm", film_cells=2):
    g = geometry([("substrate", SOLID, "300 um", False), ("film", SOLID, film_thickness, True)],
                 mesh=f"film_cells = {film_cells}\ngrowth = 1.2")
    return g, meshlib.create(g)


@pytest.mark.mpi
@pytest.mark.parametrize("mass,tol", [("lumped", 6e-3), ("consistent", 3e-3)])
def test_surface_flux_on_half_space_matches_erfc(mass, tol):
    g, sm = half_space_1d()
    q, depth = 1e8, 2e-6
    s = thermal.HeatSolver(sm, mass=mass)
    s.add_flux("top", q)
    s.probe("deep", [g.thickness - depth])
    h = s.run(thermal.time_grid(4e-6, 1e-10, max_ratio=0.05))
    t = h.column("time_s")
    late = t > 1e-8
    surface = 2 * q * np.sqrt(t[late] / (math.pi * K * RHOC))
    err = np.abs(h.column("film_max_temperature_K")[late] - 295 - surface) / surface
    assert err.max() < tol
    inner = 2 * q / K * np.sqrt(ALPHA * t[late]) * ierfc(depth / (2 * np.sqrt(ALPHA * t[late])))
    assert np.abs(h.column("deep_temperature_K")[late] - 295 - inner).max() < tol * inner.max()
    # energy: what went in is stored (the heat has not reached the held back side)
    assert h.column("absorbed_energy_J")[-1] == pytest.approx(q * 4e-6, rel=1e-12)
    assert h.column("stored_energy_J")[-1] == pytest.approx(q * 4e-6, rel=1e-8)
    assert h.column("conducted_out_energy_J")[-1] < 1e-6 * q * 4e-6


@pytest.mark.mpi
def test_heated_film_on_half_space_matches_layer_source_solution():
    # A volume source in 0 < depth < d under an insulated surface: by images, the surface
    # temperature is (Q/ρc) ∫_0^t erf(d / (2 sqrt(α τ))) dτ.
    d, Q = 1e-6, 1e14
    g, sm = half_space_1d("1 um", film_cells=8)
    s = thermal.HeatSolver(sm)
    s.add_source(Q)
    h = s.run(thermal.time_grid(2e-6, 1e-10, max_ratio=0.05))
    for t_check in (2e-8, 2e-7, 2e-6):
        i = np.argmin(np.abs(h.column("time_s") - t_check))
        t = h.column("time_s")[i]
        exact = Q / RHOC * integrate.quad(lambda tau: erf(d / (2 * math.sqrt(ALPHA * tau))), 0, t)[0]
        assert h.column("film_max_temperature_K")[i] - 295 == pytest.approx(exact, rel=3e-3)


@pytest.mark.mpi
def test_steady_layered_stack_is_exact():
    # Heat generated in the film: ΔT(top) = q Σ d_i/k_i (layers below) + q d_f / (2 k_f); P1 is
    # nodally exact in 1D. A flux through the top gives a piecewise-linear profile, which P1 holds
    # exactly on any mesh: ΔT(top) = q Σ d_i/k_i in 1D, 2D and 3D.
    layers = [("substrate", "{ conductivity = 30, density = 3180, heat_capacity = 1003 }", "200 um", False),
              ("oxide", "{ conductivity = 1.4, density = 2200, heat_capacity = 740 }", "1 um", False),
              ("film", "{ conductivity = 0.24, density = 2633, heat_capacity = 374 }", "120 nm", True)]
    Q = 1e15
    q = Q * 120e-9
    below = 200e-6 / 30 + 1e-6 / 1.4
    s = thermal.HeatSolver(meshlib.create(geometry(layers)))
    s.add_source(Q)
    s.steady()
    assert s.measure(0.0)["film_max_temperature_K"] - 295 == pytest.approx(q * (below + 120e-9 / 0.48), rel=1e-9)
    domain = '[domain]\nwidth = "40 um"\ndepth = "30 um"\n'
    for dim in (1, 2, 3):
        g = geometry(layers, mesh=f"dimension = {dim}", domain=domain)
        s = thermal.HeatSolver(meshlib.create(g))
        s.add_flux("top", q)
        s.steady()
        m = s.measure(0.0)
        assert m["film_max_temperature_K"] - 295 == pytest.approx(q * (below + 120e-9 / 0.24), rel=1e-9)
        assert m["film_mean_temperature_K"] - 295 == pytest.approx(q * (below + 60e-9 / 0.24), rel=1e-9)


@pytest.mark.mpi
@pytest.mark.parametrize("ambient", [295.0, 285.0])
def test_steady_with_convection_on_top_is_exact(ambient):
    # One material, heat Q in the top layer (thickness d), bottom held at 295 K, top cooled by
    # h(T - T_amb): T(top) - 295 = [Q d (L - d/2) + h L (T_amb - 295)] / (k + h L).
    d, L, Q, h = 1e-6, 21e-6, 1e15, 2e6
    g = geometry([("substrate", SOLID, "20 um", False), ("film", SOLID, "1 um", True)])
    s = thermal.HeatSolver(meshlib.create(g), convection={"top": (h, ambient)})
    s.add_source(Q)
    s.probe("top", [L])
    s.steady()
    exact = (Q * d * (L - d / 2) + h * L * (ambient - 295)) / (K + h * L)
    assert s.measure(0)["top_temperature_K"] - 295 == pytest.approx(exact, rel=1e-9)


def two_material_rod(cells):
    g = geometry([("lower", "{ conductivity = 3.0, density = 1000, heat_capacity = 1000 }", "1 um", False),
                  ("upper", "{ conductivity = 0.5, density = 2000, heat_capacity = 800 }", "1 um", True)],
                 mesh=f"film_cells = {cells}\nmin_cells = {cells}\nmax_cell = \"{1 / cells} um\"")
    return g, meshlib.create(g)


def test_manufactured_interface_spatial_rate():
    # cqdfem.verification.heat_interface_space (also the V&V page): P1 converges at order 2 in L2.
    study = verification.heat_interface_space()
    assert study.errors[-1] < 2e-3
    assert np.all(np.abs(np.array(study.orders) - 2.0) < 0.2), study.orders


@pytest.mark.parametrize("scheme,order", [("bdf2", 2), ("cn", 2), ("euler", 1)])
def test_manufactured_interface_temporal_rate(scheme, order):
    # cqdfem.verification.heat_interface_time: P1 holds the manufactured φ exactly, so the error is
    # the time scheme's alone.
    study = verification.heat_interface_time(scheme)
    assert np.all(np.abs(np.array(study.orders) - order) < 0.2), (study.errors, study.orders)


# --- 2D axisymmetric and 3D: a heated spot on a half-space ---------------------------------------

def spot_integral(lateral, d, t):
    """Surface-centre temperature rise per (Q/ρc) for a layer source (depth d) with lateral factor."""
    f = lambda tau: erf(d / (2 * math.sqrt(ALPHA * tau))) / d * lateral(2 * math.sqrt(ALPHA * tau))  # noqa: E731
    return d * integrate.quad(f, 0, t, limit=200)[0]


def spot_model(dim, width, depth_sub, d="0.2 um", spot=None, coords="cartesian", extra=""):
    g = geometry([("substrate", SOLID, depth_sub, False), ("film", SOLID, d, True)],
                 mesh=f"dimension = {dim}\ncoordinates = \"{coords}\"\n{spot or ''}\nfilm_cells = 4\n"
                      f"spot_cells = 8\ngrowth = 1.3\n{extra}",
                 domain=f'[domain]\nwidth = "{width}"\ndepth = "{width}"\n')
    return g, meshlib.create(g)


def check_centre(history, times, lateral, d, Q, rel):
    """The probe 'centre' against the layer-source closed form at ``times``."""
    for t_check in times:
        i = np.argmin(np.abs(history.column("time_s") - t_check))
        t = history.column("time_s")[i]
        exact = Q / RHOC * spot_integral(lateral, d, t)
        assert history.column("centre_temperature_K")[i] - 295 == pytest.approx(exact, rel=rel), t


@pytest.mark.mpi
def test_disc_on_half_space_axisymmetric_transient_and_steady():
    # Spot radius a = 2 um: by 1 us heat has spread ~3 um, so the spot's edge shapes the answer
    # (the centre is ~35 % below the 1D value there).
    a, d, Q = 2e-6, 0.2e-6, 1e14
    g, sm = spot_model(2, "80 um", "40 um", spot='spot_diameter = "4 um"', coords="axisymmetric")
    s = thermal.HeatSolver(sm)
    s.add_source(Q)
    s.probe("centre", [0.0, g.thickness])
    h = s.run(thermal.time_grid(1e-6, 1e-11, max_ratio=0.05))
    check_centre(h, (2e-8, 2e-7, 1e-6), lambda L: 1 - math.exp(-(a / L) ** 2), d, Q, rel=0.01)
    # Steady, on a domain 2000 spot radii wide and deep (the held boundary far away): a disc source
    # at depth z heats the surface centre by (q/k)(sqrt(a² + z²) - z); averaged over 0 < z < d.
    g, sm = spot_model(2, "8 mm", "4 mm", spot='spot_diameter = "4 um"', coords="axisymmetric")
    s = thermal.HeatSolver(sm)
    s.add_source(Q)
    s.probe("centre", [0.0, g.thickness])
    s.steady()
    mean_depth = integrate.quad(lambda z: math.sqrt(a * a + z * z) - z, 0, d)[0] / d
    assert s.measure(0)["centre_temperature_K"] - 295 == pytest.approx(Q * d * mean_depth / K, rel=0.01)


@pytest.mark.mpi
def test_rectangle_on_half_space_3d_quarter_transient():
    A, B, d, Q = 2e-6, 1.2e-6, 0.2e-6, 1e14     # half-sides of a 4 x 2.4 um spot
    g, sm = spot_model(3, "40 um", "20 um", spot='spot = ["4 um", "2.4 um"]', extra='max_cell = "5 um"')
    s = thermal.HeatSolver(sm)
    s.add_source(Q)
    s.probe("centre", [0.0, 0.0, g.thickness])
    h = s.run(thermal.time_grid(3e-7, 1e-11, max_ratio=0.05))
    check_centre(h, (2e-8, 3e-7), lambda L: erf(A / L) * erf(B / L), d, Q, rel=0.02)


def test_anisotropic_conductivity_equals_coordinate_scaled_isotropic():
    # k = diag(k_in, k_c): with x' = x sqrt(k_c / k_in) the problem is isotropic with k_c.
    k_in, k_c = 21.0, 30.0
    scale = math.sqrt(k_c / k_in)
    results = []
    for ks, sx in (((k_in, k_c), 1.0), ((k_c, k_c), scale)):
        mat = f"{{ conductivity = [{ks[0]}, {ks[1]}], density = {RHO}, heat_capacity = {CP} }}"
        g = geometry([("substrate", mat, "40 um", False), ("film", mat, "0.5 um", True)],
                     mesh=f'dimension = 2\nspot = ["{20 * sx} um", "1 um"]\nmax_cell = "{8 * sx} um"',
                     domain=f'[domain]\nwidth = "{80 * sx} um"\n')
        s = thermal.HeatSolver(meshlib.create(g))
        s.add_source(1e14)
        s.probe("centre", [0.0, g.thickness])
        s.probe("edge", [10e-6 * sx, g.thickness])
        h = s.run(thermal.time_grid(2e-8, 1e-11))
        results.append((h.column("centre_temperature_K")[-1], h.column("edge_temperature_K")[-1]))
    (c1, e1), (c2, e2) = results
    assert c1 == pytest.approx(c2, rel=1e-3) and e1 == pytest.approx(e2, rel=1e-3)
    # and anisotropy matters: the isotropic k_in run differs by much more than that tolerance
    assert abs(c1 - 295) > 0


# --- parallel equality, solver checks, the compat wrappers ---------------------------------------

PARALLEL_MODELS = {
    "axisymmetric": ('dimension = 2\ncoordinates = "axisymmetric"\nspot_diameter = "20 um"',
                     '[domain]\nwidth = "100 um"\n', "60 um"),
    # 3D meshes are extruded by every rank from its own share of the layers (cqdfem.mesh)
    "3d": ('dimension = 3\nspot = ["8 um", "5 um"]\nspot_cells = 3',
           '[domain]\nwidth = "30 um"\ndepth = "30 um"\n', "20 um"),
}


@pytest.mark.mpi
@pytest.mark.parametrize("model", list(PARALLEL_MODELS))
def test_two_ranks_equal_one_rank(model):
    from mpi4py import MPI

    mesh, domain, substrate = PARALLEL_MODELS[model]

    def run(comm):
        g = geometry([("substrate", '"MgF2"', substrate, False), ("film", '"CQD-inorganic"', "120 nm", True)],
                     mesh=mesh, domain=domain)
        s = thermal.HeatSolver(meshlib.create(g, comm))
        s.add_source(7e14, profile=thermal.Profile(duration=5e-7))
        h = s.run(thermal.time_grid(1e-6, 1e-10))
        return h.column("film_max_temperature_K"), h.column("film_mean_temperature_K")

    world = run(MPI.COMM_WORLD)
    alone = run(MPI.COMM_SELF)
    for a, b in zip(world, alone):
        assert np.allclose(a, b, rtol=1e-9, atol=0)
    assert world[0].max() > 300                     # it did heat, then cooled after the pulse
    assert world[0][-1] < world[0].max()


@pytest.mark.mpi
@pytest.mark.parametrize("model,degree", [("axisymmetric", 1), ("3d", 1), ("axisymmetric", 2)])
def test_lumped_mass_is_the_row_sums_of_the_consistent_one(model, degree):
    """The lumped mass, one vector assembly, against the row sums of the consistent matrix with the
    fixed rows and columns removed (a MatMult with ones), and its total against ∫ρc dV in closed form."""
    import ufl
    from dolfinx import fem
    from petsc4py import PETSc

    from cqdfem import compat

    mesh, domain, substrate = PARALLEL_MODELS[model]
    g = geometry([("substrate", '"MgF2"', substrate, False), ("film", '"CQD-inorganic"', "120 nm", True)],
                 mesh=mesh, domain=domain)
    sm = meshlib.create(g)
    fixed = thermal.HeatSolver(sm, fixed=("bottom",), degree=degree)
    u, v = ufl.TrialFunction(fixed.V), ufl.TestFunction(fixed.V)
    M = compat.assemble_matrix(fem.form(fixed.rho_c * u * v * fixed.w * fixed.dx), fixed.bcs, diagonal=0.0)
    ones, rows = M.createVecRight(), M.createVecLeft()
    ones.set(1.0)
    M.mult(ones, rows)
    m = fixed._m_lumped
    assert rows.getSize() == m.getSize()
    rows.axpy(-1.0, m)
    inf = PETSc.NormType.INFINITY
    assert rows.norm(inf) <= 1e-12 * m.norm(inf)
    assert fixed.M is None                          # no matrix kept for a diagonal

    # nothing fixed: the lumped masses add up to the whole heat capacity, Σ ρc V over the layers
    free = thermal.HeatSolver(sm, fixed=(), degree=degree)
    expected = sum(sm.region_material[name].volumetric_heat_capacity * volume
                   for name, volume in sm.volumes().items())        # regions tile the model
    assert free._m_lumped.sum() == pytest.approx(expected, rel=1e-12)
    assert free._m_lumped.sum() > m.sum() > 0.5 * expected          # fixing the bottom removed some


def test_failed_solve_is_an_error():
    # the solver's own PETSc options (its prefix: a global -ksp_max_it would not reach it)
    g, sm = spot_model(2, "80 um", "40 um", spot='spot = ["20 um", "12 um"]')
    s = thermal.HeatSolver(sm, solver="cg", options={"ksp_max_it": 1})
    s.add_source(1e14)
    with pytest.raises(SolverError, match="did not converge"):
        s.run(thermal.time_grid(1e-9, 1e-10))


def test_cg_amg_equals_lu():
    out = []
    for solver in ("lu", "cg"):
        g, sm = spot_model(2, "80 um", "40 um", spot='spot = ["20 um", "12 um"]')
        s = thermal.HeatSolver(sm, solver=solver)
        s.add_source(1e14)
        h = s.run(thermal.time_grid(1e-8, 1e-10))
        out.append(h.column("film_max_temperature_K"))
    assert np.allclose(out[0], out[1], rtol=1e-8)


def test_steady_equals_linear_problem_of_the_compat_layer():
    import ufl

    from cqdfem import compat

    g, sm = half_space_1d()
    s = thermal.HeatSolver(sm)
    s.add_source(1e14)
    s.steady()
    # the same steady problem through DOLFINx's LinearProblem (via compat)
    u, v = ufl.TrialFunction(s.V), ufl.TestFunction(s.V)
    a = ufl.inner(s.kappa * ufl.grad(u), ufl.grad(v)) * ufl.dx
    L = 1e14 * v * s.dx(tuple(sm.tags("film")))
    problem = compat.linear_problem(a, L, bcs=s.bcs, petsc_options={"ksp_type": "preonly", "pc_type": "lu"})
    uh = problem.solve()
    assert np.allclose(uh.x.array, s.u.x.array, rtol=1e-10, atol=1e-12 * np.abs(s.u.x.array).max())


def test_adaptive_steps_follow_the_tolerance():
    # The temporal manufactured solution (P1-exact in space): the error at the end must shrink with
    # the tolerance while the number of steps grows. The tolerance bounds each step's local error;
    # the global error accumulates over the steps (here ~10-50x the tolerance, falling ~tol^(2/3)).
    import ufl

    k1, k2, zi, tau, end = 3.0, 0.5, 1e-6, 2e-9, 2e-8
    g, sm = two_material_rod(4)
    results = []
    for rtol in (1e-3, 1e-4, 1e-5):
        s = thermal.HeatSolver(sm, fixed_temperature=0.0, mass="consistent")
        z = ufl.SpatialCoordinate(sm.mesh)[0]
        phi = ufl.conditional(z < zi, z, zi + (k1 / k2) * (z - zi)) * 1e6
        s.add_load(s.rho_c * phi * s.v * s.dx, lambda t: math.exp(-t / tau) / tau)
        s.add_flux("top", k1 * 1e6, profile=lambda t: 1 - math.exp(-t / tau))
        h = s.run(adaptive=thermal.Adaptive(end, rtol=rtol, atol=1e-12, first_step=1e-12), energy=False)
        exact = (1 - math.exp(-end / tau)) * (zi + (k1 / k2) * (g.thickness - zi)) * 1e6
        err = abs(h.column("film_max_temperature_K")[-1] - exact) / exact
        results.append((len(h.column("time_s")) - 1, err))
        assert err < 2 * rtol ** (2 / 3), (rtol, err)
    steps = [n for n, _ in results]
    assert steps[0] < steps[1] < steps[2]
    assert results[1][1] < results[0][1] / 2.5 and results[2][1] < results[1][1] / 2.5


# --- the 3D linear solver: tuned AMG, its reuse across step sizes, tolerances, options -------------

def _solver_3d(**kw):
    g, sm = spot_model(3, "40 um", "20 um", spot='spot = ["4 um", "2.4 um"]', extra='max_cell = "5 um"')
    s = thermal.HeatSolver(sm, **kw)
    s.add_source(1e14)
    s.probe("centre", [0.0, 0.0, g.thickness])
    return s, thermal.time_grid(3e-7, 1e-11, max_ratio=0.05)


@pytest.mark.mpi
def test_amg_reuse_and_tuning_give_the_tight_answer():
    # today's defaults without reuse (a hierarchy per step size) against the tuned, reused one: the
    # same temperatures to the solver tolerance, far fewer AMG set-ups
    plain, times = _solver_3d(reuse_preconditioner=False, options={
        "pc_hypre_boomeramg_coarsen_type": "Falgout", "pc_hypre_boomeramg_interp_type": "classical",
        "pc_hypre_boomeramg_P_max": 0, "pc_hypre_boomeramg_strong_threshold": 0.25})
    h0 = plain.run(times)
    tuned, _ = _solver_3d()
    h1 = tuned.run(times)
    T0, T1 = (np.asarray(h.column("centre_temperature_K")) for h in (h0, h1))
    assert np.max(np.abs(T1[1:] - T0[1:]) / (T0[1:] - 295)) < 1e-7
    assert tuned.factorisations < plain.factorisations
    assert tuned._cg[0].getPC().getHYPREType() == "boomeramg"


@pytest.mark.mpi
def test_relaxed_tolerance_against_a_tight_solve():
    # rtol relative to each step's initial residual (its change): 1e-8 keeps the rise within 1e-7
    tight, times = _solver_3d(rtol=1e-12)
    loose, _ = _solver_3d(rtol=1e-8, options={"ksp_converged_use_initial_residual_norm": True})
    T0 = np.asarray(tight.run(times).column("centre_temperature_K"))
    T1 = np.asarray(loose.run(times).column("centre_temperature_K"))
    assert np.max(np.abs(T1[1:] - T0[1:]) / (T0[1:] - 295)) < 1e-7


def test_petsc_options_reach_the_solver(tmp_path, cli):
    s, times = _solver_3d(options={"ksp_type": "gmres"})
    s.run(times[:3])
    assert s._cg[0].getType() == "gmres"
    # hypre's relaxation names carry a slash
    s, times = _solver_3d(options={"pc_hypre_boomeramg_relax_type_all": "l1scaled-SOR/Jacobi"})
    s.run(times[:3])
    from petsc4py import PETSc
    viewer = PETSc.Viewer().createASCII(str(tmp_path / "pc.txt"))
    s._cg[0].getPC().view(viewer)
    viewer.destroy()
    assert re.search(r"Relax down\s+l1scaled-SOR/Jacobi", (tmp_path / "pc.txt").read_text())
    for bad, key in (('{"-ksp_type" = "gmres"}', "solver.options.-ksp_type"),
                     ('{ksp_type = "gm res"}', "solver.options.ksp_type")):
        r = cli("check", "cases/flagship-3d.toml", "--set", f"solver.options={bad}")
        assert r.returncode == 2 and key in r.stderr and len(r.stderr.strip().splitlines()) == 1


@pytest.mark.mpi
def test_sub_solver_options_and_another_hypre_type_reach_the_solver(tmp_path):
    # options read only when the preconditioner is set up (a block solver's sub-solvers) were gone
    # by then; a hypre type of the caller's was overridden by BoomerAMG. Both must arrive, and give
    # the default's temperatures to the solver tolerance.
    ref, times = _solver_3d()
    T0 = np.asarray(ref.run(times).column("centre_temperature_K"))
    s, _ = _solver_3d(options={"pc_type": "asm", "sub_pc_type": "icc", "sub_pc_factor_levels": 1})
    T1 = np.asarray(s.run(times).column("centre_temperature_K"))
    from mpi4py import MPI
    from petsc4py import PETSc
    viewer = PETSc.Viewer().createASCII(str(tmp_path / f"sub{MPI.COMM_WORLD.rank}.txt"), comm=MPI.COMM_SELF)
    s._cg[0].getPC().getASMSubKSP()[0].getPC().view(viewer)
    viewer.destroy()
    assert re.search(r"type: icc\s+out-of-place factorization\s+1 levels? of fill",
                     (tmp_path / f"sub{MPI.COMM_WORLD.rank}.txt").read_text())
    assert np.max(np.abs(T1[1:] - T0[1:]) / (T0[1:] - 295)) < 1e-7
    s, _ = _solver_3d(options={"pc_hypre_type": "euclid"})
    s.run(times[:3])
    assert s._cg[0].getPC().getHYPREType() == "euclid"
