"""Transient heat conduction in film stacks: ρc ∂T/∂t = ∇·(k∇T) + Q.

Usable alone from Python::

    sm = cqdfem.mesh.create(geometry)                  # any StackMesh: 1D, 2D (r-z), 3D
    solver = HeatSolver(sm, fixed_temperature=295.0)   # substrate back side held, rest insulated
    solver.add_source(2e15, profile=Profile(duration=2e-6))   # W/m³ in the pumped film
    history = solver.run(time_grid(4e-6, first_step=1e-10))
    history.column("film_max_temperature_K")

How it is fast: the unknown is u = T − T_fixed, so the Dirichlet condition is homogeneous and every
right-hand side is a matrix-vector product with the mass matrix plus scaled load vectors assembled
once (no form assembly in the time loop). The system matrix c·M + θ·K depends only on the step
coefficient c, so it is assembled and factorised (LU) or preconditioned (CG + BoomerAMG) once per
distinct coefficient and cached; the time grid keeps the number of distinct steps small (steps that
double in blocks, see :func:`time_grid`). Every solve checks convergence and raises on failure.

Time schemes: ``bdf2`` (default; variable-step BDF2, L-stable: the stiff film modes are damped when
the step grows far beyond the film's ~10 ns time constant), ``cn`` (Crank–Nicolson, second order but
only A-stable: stiff modes ring), ``euler`` (first order, for comparison). Both second-order schemes
restart with one backward-Euler step after every discontinuity of the source (pulse on/off).
"""

import dataclasses
import math

import numpy as np

# BoomerAMG for the 3D stacks (graded, high-aspect-ratio cells): HMIS coarsening with ext+i
# interpolation truncated to 4 entries and a strong threshold of 0.5 keeps the hierarchy's operator
# complexity low where the defaults build ~10 levels (benchmarks/results.md, "3D linear solver").
AMG_OPTIONS = {"pc_hypre_boomeramg_coarsen_type": "HMIS", "pc_hypre_boomeramg_interp_type": "ext+i",
               "pc_hypre_boomeramg_P_max": 4, "pc_hypre_boomeramg_strong_threshold": 0.5}
AMG_REUSE = 16.0       # one AMG hierarchy serves while θK + cM's c stays within this factor ...
AMG_EXTRA = 1          # ... and CG needs at most this many iterations more than right after building it

from cqdfem import compat
from cqdfem.constants import ROOM_TEMPERATURE
from cqdfem.errors import SolverError


# --- pump time profile ---------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Profile:
    """Pump power versus time as a fraction of the peak: a train of trapezoidal pulses.

    Each pulse rises linearly over ``rise_time`` from its start, stays on until ``duration`` after its
    start (``None``: for ever, a step) and switches off at once; pulses start every ``period``.
    """
    rise_time: float = 0.0
    duration: float | None = None
    period: float | None = None
    pulses: int = 1
    start: float = 0.0

    def __post_init__(self):
        if self.rise_time < 0:
            raise ValueError("rise_time must be >= 0")
        if self.duration is not None and self.duration < self.rise_time:
            raise ValueError("the pulse duration must be at least its rise time")
        if self.pulses > 1 and (self.period is None or self.duration is None or self.period < self.duration):
            raise ValueError("a pulse train needs a duration and a period >= duration")

    def _starts(self):
        return [self.start + k * (self.period or 0.0) for k in range(self.pulses)]

    def _one(self, s):
        s = np.asarray(s, dtype=float)
        r, d = self.rise_time, self.duration
        up = np.clip(s / r, 0.0, 1.0) if r > 0 else (s >= 0).astype(float)
        on = (s >= 0) if d is None else (s >= 0) & (s < d)
        return np.where(on, up, 0.0)

    def _one_integral(self, s):
        s = np.asarray(s, dtype=float)
        r = self.rise_time
        d = np.inf if self.duration is None else self.duration
        s = np.clip(s, 0.0, d)
        if r == 0:
            return s
        return np.where(s < r, s * s / (2 * r), r / 2 + (s - r))

    def __call__(self, t):
        return sum(self._one(np.asarray(t) - s0) for s0 in self._starts())

    def integral(self, t):
        """∫_0^t f dt' in seconds (exact)."""
        return sum(self._one_integral(np.asarray(t) - s0) for s0 in self._starts())

    def breakpoints(self):
        """Times where the profile or its slope jumps (the time grid lands on them)."""
        out = []
        for s0 in self._starts():
            out.append(s0)
            if self.rise_time > 0:
                out.append(s0 + self.rise_time)
            if self.duration is not None:
                out.append(s0 + self.duration)
        return sorted(set(out))

    def jumps(self):
        """Times where the profile itself jumps (the integrator restarts there)."""
        out = []
        for s0 in self._starts():
            if self.rise_time == 0:
                out.append(s0)
            if self.duration is not None:
                out.append(s0 + self.duration)
        return sorted(set(out))

    def in_step(self, t0, t1, at):
        """The profile at ``at`` (t0 or t1) seen from inside the step [t0, t1] (one-sided at a jump)."""
        eps = 1e-9 * (t1 - t0)
        return float(self(at + eps if at == t0 else at - eps))


STEP = Profile()


def _in_step(profile, t0, t1, at):
    """A :class:`Profile` (one-sided at its jumps), anything with the same ``in_step``, or any
    smooth function of time."""
    if hasattr(profile, "in_step"):
        return profile.in_step(t0, t1, at)
    return float(profile(at))


# --- time grid -----------------------------------------------------------------------------------

def time_grid(end, first_step=1e-10, max_ratio=0.05, max_step=None, breakpoints=(), restarts=(),
              outputs=()):
    """Time points from 0 to ``end`` whose steps double in blocks.

    The step is ``first_step · 2^k`` with the largest k such that step ≤ ``max_ratio`` × (time since
    the last restart): diffusion responses change on a scale set by the time since the last change of
    the source, so this keeps the relative accuracy uniform over many decades with few distinct step
    sizes (each is one matrix factorisation). ``restarts`` (source jumps) reset the step to
    ``first_step``; ``breakpoints`` and ``outputs`` are landed on exactly.
    """
    if end <= 0 or first_step <= 0:
        raise ValueError("end and first_step must be positive")
    marks = sorted({float(t) for t in (*breakpoints, *restarts, *outputs, end) if 0 < t <= end})
    restarts = sorted(float(t) for t in restarts if 0 < t < end)
    t, since, times = 0.0, 0.0, [0.0]
    dt = first_step
    for mark in marks:
        while t < mark * (1 - 1e-12):
            tau = t - since
            while dt * 2 <= max(first_step, max_ratio * tau) and (max_step is None or dt * 2 <= max_step):
                dt *= 2
            step = dt if max_step is None else min(dt, max_step)
            t = t + _toward(mark - t, step)
            times.append(t)
        if any(abs(mark - r) <= 1e-12 * end for r in restarts):
            since, dt = mark, first_step
    return np.array(times)


def _toward(remaining, dt):
    """The next step toward a time ``remaining`` away: dt, or the rest in one or two steps no longer
    than dt (no sliver step, no step longer than dt: BDF2 wants neighbouring steps of similar size)."""
    if remaining <= dt * (1 + 1e-9):
        return remaining
    if remaining < 2 * dt:
        return remaining / 2
    return dt


# --- the solver ----------------------------------------------------------------------------------

@dataclasses.dataclass
class History:
    """Per-step quantities (SI, names carry the unit)."""
    columns: dict

    def column(self, name):
        return np.asarray(self.columns[name])


class HeatSolver:
    """ρc ∂T/∂t = ∇·(k∇T) + Q on a :class:`cqdfem.mesh.StackMesh`.

    Boundaries by role (``top``, ``bottom``, ``side``, ``symmetry``, ``axis``): ``fixed`` roles are held
    at ``fixed_temperature``; ``convection`` maps a role to (h W/m²/K, ambient K); every other boundary
    is insulated (symmetry planes and the axis are insulated by construction).
    Materials come from the mesh's regions: per-region ρc and conductivity (in-plane, cross-plane);
    the cross-plane axis is the mesh's last coordinate.
    """

    def __init__(self, stack_mesh, *, fixed_temperature=ROOM_TEMPERATURE, fixed=("bottom",), initial=None,
                 convection=None, scheme="bdf2", solver="auto", rtol=1e-10, degree=1, mass="lumped",
                 options=None, reuse_preconditioner=None):
        import ufl
        from dolfinx import fem
        from petsc4py import PETSc

        if scheme not in ("bdf2", "cn", "euler"):
            raise ValueError(f"unknown time scheme {scheme!r} (bdf2, cn, euler)")
        if mass not in ("lumped", "consistent"):
            raise ValueError(f"unknown mass matrix {mass!r} (lumped, consistent)")
        self.lumped = mass == "lumped"
        self.sm, self.scheme, self.rtol = stack_mesh, scheme, rtol
        mesh = stack_mesh.mesh
        self.comm = mesh.comm
        tdim = mesh.topology.dim
        mesh.topology.create_connectivity(tdim - 1, tdim)
        self.T_fixed = float(fixed_temperature)
        self.T_initial = self.T_fixed if initial is None else float(initial)
        self.V = fem.functionspace(mesh, ("Lagrange", degree))
        self.u = fem.Function(self.V, name="u")               # T - T_fixed
        self.temperature = fem.Function(self.V, name="temperature")
        self.u.x.array[:] = self.T_initial - self.T_fixed
        u, v = ufl.TrialFunction(self.V), ufl.TestFunction(self.V)
        self.v = v
        self.w = stack_mesh.weight()
        self.dx = ufl.Measure("dx", domain=mesh, subdomain_data=stack_mesh.cell_tags)
        self.ds = ufl.Measure("ds", domain=mesh, subdomain_data=stack_mesh.facet_tags)
        self.rho_c, self.k_in, self.k_cross = self._material_fields()
        self.kappa = self._conductivity_tensor(tdim)
        w, dx, ds = self.w, self.dx, self.ds

        for role in fixed:
            if role not in stack_mesh.boundaries:
                raise ValueError(f"no boundary {role!r} (have {', '.join(sorted(stack_mesh.boundaries))})")
        self.fixed_roles = tuple(fixed)
        dofs = [fem.locate_dofs_topological(self.V, tdim - 1, stack_mesh.facets(r)) for r in fixed]
        dofs = np.unique(np.concatenate(dofs)) if dofs else np.zeros(0, np.int32)
        self.bc = fem.dirichletbc(PETSc.ScalarType(0.0), dofs.astype(np.int32), self.V)
        self.bcs = [self.bc]

        convection = dict(convection or {})
        mass = self.rho_c * u * v * w * dx
        stiff = ufl.inner(self.kappa * ufl.grad(u), ufl.grad(v)) * w * dx
        conv_load = None                       # h (T_amb - T_fixed): only if the ambient differs
        for role, (h, T_amb) in convection.items():
            stiff += h * u * v * w * ds(stack_mesh.boundaries[role])
            if T_amb != self.T_fixed:
                term = h * (T_amb - self.T_fixed) * v * w * ds(stack_mesh.boundaries[role])
                conv_load = term if conv_load is None else conv_load + term
        self._convection = convection
        self.K = compat.assemble_matrix(fem.form(stiff), self.bcs, diagonal=0.0)
        if self.lumped:                       # A = θK + c·diag(m) from K and the vector m: no mass form
            self.M = self._a = None
            self._lump(dofs)
        else:                                 # A = c·M + θK assembled from one form per (c, θ)
            self._c = fem.Constant(mesh, PETSc.ScalarType(1.0))
            self._theta = fem.Constant(mesh, PETSc.ScalarType(1.0))
            self._a = fem.form(self._c * mass + self._theta * stiff)
            self.M = compat.assemble_matrix(fem.form(mass), self.bcs, diagonal=0.0)
        self._L_shape = fem.form(v * w * dx)
        self._loads = []                      # (vector, profile, power W or None, name)
        if conv_load is not None:
            self._loads.append((self._assemble_load(conv_load), STEP, None, "convection"))
        self._solvers = {}                    # (c, theta) -> (A, ksp); a small cache
        self._solver_kind = solver
        self._options = dict(options or {})  # PETSc options (names without '-') for the linear solver
        self._reuse = reuse_preconditioner   # None: AMG_REUSE for CG, never for LU
        self._cg = None                       # CG: one KSP, its AMG kept while c stays within AMG_REUSE
        self.factorisations = 0               # LU factorisations, or AMG hierarchies built
        self.matrices = 0                     # distinct system matrices assembled
        self.solves = 0
        self.iterations = 0                   # Krylov iterations, all solves (1 per LU solve)

        # vectors for derived quantities, assembled once
        self._m_store = self._assemble_load(self.rho_c * v * w * dx)
        self._conv_vec = {r: self._assemble_load(h * v * w * ds(stack_mesh.boundaries[r]))
                          for r, (h, _) in convection.items()}
        n = ufl.FacetNormal(mesh)
        tags = tuple(stack_mesh.boundaries[r] for r in fixed)
        self._flux_out = fem.form(-ufl.dot(self.kappa * ufl.grad(self.u), n) * w * ds(tags)) if tags else None
        self._regions = {}
        film = stack_mesh.geometry.active
        if film is not None:
            self.add_region("film", film.name)
            spot = f"{film.name}.spot"
            if spot in stack_mesh.regions:
                self.add_region("spot", spot)
        self._probes = {}
        self._b = compat.create_vector(self._L_shape)
        self._work = self._b.duplicate()

    # -- set-up ------------------------------------------------------------------------------------

    def _lump(self, bc_dofs):
        """The lumped mass (the consistent mass of P1 is not monotone: with steps far below h²/α it
        over- and undershoots at the edge of the pump spot; the lumped mass does not), as a vector.

        m_i is the row sum of the consistent mass with the fixed dofs' rows and columns removed:
        Σ_{j free} ∫ρc φ_i φ_j w = ∫ρc φ_i (1 − g) w with g = Σ_{j fixed} φ_j, because the basis sums
        to 1. One vector assembly, the same quadrature as the matrix, and no matrix: the time steps
        multiply by it pointwise (a matrix with the stiffness's pattern for a diagonal cost a MatMult
        per step and a copy of K's memory)."""
        from dolfinx import fem
        from dolfinx.fem import petsc

        g = fem.Function(self.V)
        g.x.array[bc_dofs] = 1.0
        g.x.scatter_forward()
        m = self._assemble_load(self.rho_c * (1.0 - g) * self.v * self.w * self.dx)
        petsc.set_bc(m, self.bcs)                 # fixed rows: 0, as in the matrix with diagonal 0
        self._m_lumped = m
        self._bc_unit = m.duplicate()
        self._bc_unit.set(0.0)
        n_owned = self.V.dofmap.index_map.size_local
        owned = bc_dofs[bc_dofs < n_owned]
        self._bc_unit.array[owned] = 1.0          # owned dofs: local index = array index

    def _mass_mult(self, x, y):
        """y = M x: a pointwise product with the lumped mass, a MatMult with the consistent one."""
        if self.lumped:
            y.pointwiseMult(self._m_lumped, x)
        else:
            self.M.mult(x, y)

    def _material_fields(self):
        from dolfinx import fem

        V0 = fem.functionspace(self.sm.mesh, ("DG", 0))
        fields = [fem.Function(V0, name=n) for n in ("volumetric_heat_capacity", "conductivity_inplane",
                                                     "conductivity_crossplane")]
        dofmap = np.asarray(V0.dofmap.list).reshape(-1)
        for region, tag in self.sm.regions.items():
            mat = self.sm.region_material[region]
            mat.require("conductivity", "density", "heat_capacity", key=f"material of {region}")
            cells = self.sm.cell_tags.find(tag)
            for f, value in zip(fields, (mat.volumetric_heat_capacity, *mat.conductivity)):
                f.x.array[dofmap[cells]] = value
        for f in fields:
            f.x.scatter_forward()
        return fields

    def _conductivity_tensor(self, tdim):
        import ufl

        if tdim == 1:
            return self.k_cross
        diag = [self.k_in] * (tdim - 1) + [self.k_cross]
        return ufl.as_matrix([[diag[i] if i == j else 0 for j in range(tdim)] for i in range(tdim)])

    def _assemble_load(self, L):
        from dolfinx import fem
        from dolfinx.fem import petsc
        from petsc4py import PETSc

        vec = petsc.assemble_vector(fem.form(L))
        vec.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
        return vec

    def _region_measure(self, name):
        return self.dx(tuple(self.sm.tags(name)))

    def add_region(self, label, name):
        """Track max/mean temperature of a region or layer as ``<label>_max/mean_temperature_K``."""
        cells = self.sm.cells(name)
        n_owned = self.V.dofmap.index_map.size_local
        dofs = np.unique(np.asarray(self.V.dofmap.list)[cells].ravel())
        vec = self._assemble_load(self.v * self.w * self._region_measure(name))
        volume = vec.sum()
        self._regions[label] = (dofs[dofs < n_owned], vec, volume)

    def add_source(self, power_density, region=None, profile=STEP, name="pump", shape=None, under_spot=False):
        """Heat ``power_density`` W/m³ (times ``profile(t)``) in a region or layer: uniformly, or
        following ``shape`` — a function of the coordinates (numpy, shape (3, n), metres) giving the
        relative heat density, e.g. the absorbed pump profile through a layer. A shaped source is
        scaled so the region receives exactly ``power_density`` × its volume (the mean density is
        ``power_density``; the energy balance holds to roundoff whatever the mesh resolves).
        ``under_spot``: only where the pump spot is above (for regions not split at the spot edge,
        e.g. an absorbing substrate; the lateral mesh conforms to the spot, so this is exact).

        Default region: the pumped part of the active film (``<film>.spot``, or the whole film when
        the model has no spot).
        """
        from dolfinx import fem
        from mpi4py import MPI

        if region is None:
            film = self.sm.geometry.active
            if film is None:
                raise ValueError("the geometry has no active layer to heat; name a region")
            region = f"{film.name}.spot" if f"{film.name}.spot" in self.sm.regions else film.name
        weight = self.w * self._spot_indicator() if under_spot else self.w
        measure = self._region_measure(region)
        volume = self.comm.allreduce(fem.assemble_scalar(fem.form(weight * measure)), op=MPI.SUM)
        if shape is None:
            self.add_load(power_density * self.v * weight * measure, profile, name=name,
                          power=power_density * volume)
            return
        f = fem.Function(self.V)
        f.interpolate(lambda x: np.asarray(shape(x), dtype=float) * np.ones(x.shape[1]))
        vec = self._assemble_load(f * self.v * weight * measure)
        total = vec.sum()                      # ∫ f (the test functions sum to one)
        if not total > 0:
            raise ValueError(f"the source shape of {name!r} has no positive part in {region!r}")
        vec.scale(power_density * volume / total)
        self._loads.append((vec, profile, power_density * volume, name))

    def _spot_indicator(self):
        """1 under the pump spot, 0 elsewhere (UFL; 1 everywhere without a spot or in 1D)."""
        import ufl

        spot, dim = self.sm.geometry.spot(), self.sm.mesh.topology.dim
        if spot is None or dim == 1:
            return 1.0
        x = ufl.SpatialCoordinate(self.sm.mesh)
        if spot[0] == "disc":
            r2 = x[0] ** 2 + (x[1] ** 2 if dim == 3 else 0)
            inside = ufl.lt(r2, (spot[1] / 2) ** 2)
        else:
            wx, wy = spot[1]
            inside = ufl.lt(abs(x[0]), wx / 2)
            if dim == 3:
                inside = ufl.And(inside, ufl.lt(abs(x[1]), wy / 2))
        return ufl.conditional(inside, 1.0, 0.0)

    def add_flux(self, role, flux, profile=STEP, name="flux"):
        """Heat flux ``flux`` W/m² into the body through the boundary ``role``."""
        L = flux * self.v * self.w * self.ds(self.sm.boundaries[role])
        self.add_load(L, profile, name=name, power=flux * self.area(role))

    def add_load(self, L, profile=STEP, name="load", power=None):
        """A general heat load: a UFL linear form in ``self.v`` (already weighted), times profile(t).

        ``profile``: a :class:`Profile` or any smooth function of t (e.g. for manufactured solutions).

        ``power`` (W, or W/m in 2D cartesian) enters the energy balance; None leaves it out.
        """
        self._loads.append((self._assemble_load(L), profile, power, name))

    def volume(self, name):
        from dolfinx import fem
        from mpi4py import MPI

        local = fem.assemble_scalar(fem.form(self.w * self._region_measure(name)))
        return self.comm.allreduce(local, op=MPI.SUM)

    def area(self, role):
        from dolfinx import fem
        from mpi4py import MPI

        local = fem.assemble_scalar(fem.form(self.w * self.ds(self.sm.boundaries[role])))
        return self.comm.allreduce(local, op=MPI.SUM)

    def probe(self, name, point):
        """Report the temperature at ``point`` (m; padded to 3 coordinates) as ``<name>_temperature_K``."""
        from mpi4py import MPI

        p = np.zeros((1, 3))
        p[0, :len(point)] = point
        cell = locate(self.sm.mesh, p[0])
        owner = self.comm.allreduce(self.comm.rank if cell is not None else self.comm.size, op=MPI.MIN)
        if owner == self.comm.size:
            raise ValueError(f"probe {name!r} at {tuple(point)} m is outside the model")
        self._probes[name] = (p, cell if owner == self.comm.rank else None)

    # -- solving -----------------------------------------------------------------------------------

    def _kind(self):
        kind = self._solver_kind
        if kind == "auto":
            kind = "cg" if self.sm.mesh.topology.dim == 3 else "lu"
        if kind not in ("lu", "cg"):
            raise ValueError(f"unknown linear solver {kind!r} (auto, lu, cg)")
        return kind

    def _ksp(self, c, theta):
        from petsc4py import PETSc

        key = (float(f"{c:.12e}"), theta)
        shared = self._kind() == "cg" and self._reuse is not False
        if key not in self._solvers:
            if len(self._solvers) >= 4:                   # keep the most recent few
                A, ksp = self._solvers.pop(next(iter(self._solvers)))
                if ksp is not None:
                    ksp.destroy()
                A.destroy()
            A, ksp = self._matrix(c, theta), None
            if not shared:                                # a solver of its own: LU, or CG without reuse
                ksp = PETSc.KSP().create(self.comm)
                ksp.setOperators(A)
                self._configure(ksp)
                ksp.setUp()
                self.factorisations += 1
            self._solvers[key] = (A, ksp)
        A, ksp = self._solvers[key]
        return self._cg_for(A, c) if shared else ksp

    def _cg_for(self, A, c):
        """CG with one BoomerAMG hierarchy kept across step sizes: the operators θK + cM of nearby c
        differ little, so the hierarchy of one preconditions the others; it is rebuilt once c has
        moved by more than AMG_REUSE (a factor) from where it was built, or CG has slowed down."""
        from petsc4py import PETSc

        if self._cg is None:
            ksp = PETSc.KSP().create(self.comm)
            ksp.setOperators(A)
            self._configure(ksp)
            self._cg = [ksp, None, None, False]     # KSP, c it was built at, iterations then, stale
        ksp, built_at, _, stale = self._cg
        rebuild = built_at is None or stale or abs(math.log(c / built_at)) > math.log(AMG_REUSE)
        ksp.getPC().setReusePreconditioner(not rebuild)
        ksp.setOperators(A)
        if rebuild:
            ksp.setUp()
            self._cg[1:] = [c, None, False]
            self.factorisations += 1
        return ksp

    def _cg_solved(self, ksp):
        """After a CG solve with a kept hierarchy: once it needs AMG_EXTRA more iterations than right
        after it was built, the next solve rebuilds it (cheaper than iterating on)."""
        if self._cg is None or ksp is not self._cg[0]:
            return
        its = ksp.getIterationNumber()
        if self._cg[2] is None:
            self._cg[2] = its
        elif its > self._cg[2] + AMG_EXTRA:
            self._cg[3] = True

    def _matrix(self, c, theta):
        from petsc4py import PETSc

        self.matrices += 1
        if self.lumped:                            # A = θK + c·diag(m) + identity on bc rows
            A = self.K.copy()
            A.scale(theta)
            d = self._m_lumped.copy()
            d.scale(c)
            d.axpy(1.0, self._bc_unit)
            A.setDiagonal(d, addv=PETSc.InsertMode.ADD_VALUES)
            A.assemble()
        else:
            self._c.value, self._theta.value = c, theta
            A = compat.assemble_matrix(self._a, self.bcs, diagonal=1.0)
        return A

    def _configure(self, ksp):
        """LU (MUMPS) or CG + BoomerAMG with the tuned options (AMG_OPTIONS), then the caller's PETSc
        options under this solver's own prefix (so two solvers never share them)."""
        from petsc4py import PETSc

        kind = self._kind()
        options = {}
        if kind == "lu":
            ksp.setType("preonly")
            ksp.getPC().setType("lu")
            ksp.getPC().setFactorSolverType("mumps")
        else:
            ksp.setType("cg")
            ksp.getPC().setType("hypre")
            ksp.setTolerances(rtol=self.rtol, atol=1e-30, max_it=500)
            ksp.setInitialGuessNonzero(True)
            options["pc_hypre_type"] = "boomeramg"   # an option, not set here: hypre takes one type only
            options.update(AMG_OPTIONS if self.sm.mesh.topology.dim == 3 else {})
        options.update(self._options)
        ksp.setErrorIfNotConverged(True)
        prefix = f"cqdfem{id(self)}_"
        ksp.setOptionsPrefix(prefix)
        db = PETSc.Options()
        for name, value in options.items():
            db.setValue(prefix + name.lstrip("-"), str(value).lower() if isinstance(value, bool) else str(value))
        ksp.setFromOptions()
        ksp.setUp()          # before the options go: sub-solvers (bjacobi's, asm's) read theirs here
        for name in options:
            db.delValue(prefix + name.lstrip("-"))

    def _solve(self, c, theta, t):
        from petsc4py import PETSc

        ksp = self._ksp(c, theta)
        try:
            ksp.solve(self._b, self.u.x.petsc_vec)
        except PETSc.Error as e:
            reason = ksp.getConvergedReason()
            raise SolverError(f"the linear solve at t = {t:.6g} s did not converge "
                              f"(KSP reason {reason}, {ksp.getIterationNumber()} iterations; PETSc error {e.ierr})") from None
        self.u.x.scatter_forward()
        self.solves += 1
        self.iterations += ksp.getIterationNumber()
        self._cg_solved(ksp)

    def _add_loads(self, b, t0, t1, weights):
        """b += Σ load · (weights[0]·f(t0) + weights[1]·f(t1)), one-sided at jumps."""
        for vec, prof, _, _ in self._loads:
            s = 0.0
            if weights[0]:
                s += weights[0] * _in_step(prof, t0, t1, t0)
            if weights[1]:
                s += weights[1] * _in_step(prof, t0, t1, t1)
            if s:
                b.axpy(s, vec)

    def step(self, t0, t1, previous=None, dt_previous=None):
        """Advance self.u from t0 to t1. ``previous`` (u at t0 − dt_previous) selects BDF2."""
        from dolfinx.fem import petsc

        dt = t1 - t0
        b, work, u = self._b, self._work, self.u.x.petsc_vec
        if self.scheme == "cn" and previous is not None:
            c, theta = 1.0 / dt, 0.5
            self.K.mult(u, work)                          # b = M u/dt - K u/2 + (F0 + F1)/2
            self._mass_mult(u, b)
            b.scale(1.0 / dt)
            b.axpy(-0.5, work)
            self._add_loads(b, t0, t1, (0.5, 0.5))
        elif self.scheme == "bdf2" and previous is not None:
            omega = dt / dt_previous
            c, theta = (1 + 2 * omega) / (1 + omega) / dt, 1.0
            u.copy(work)                                  # work = ((1+ω) u - ω²/(1+ω) u_prev)/dt
            work.scale((1 + omega) / dt)
            work.axpy(-omega * omega / (1 + omega) / dt, previous)
            self._mass_mult(work, b)
            self._add_loads(b, t0, t1, (0.0, 1.0))
        else:                                             # backward Euler
            c, theta = 1.0 / dt, 1.0
            self._mass_mult(u, b)
            b.scale(1.0 / dt)
            self._add_loads(b, t0, t1, (0.0, 1.0))
        petsc.set_bc(b, self.bcs)
        self._solve(c, theta, t1)

    def steady(self, level=1.0):
        """The steady state with every load at ``level`` × its peak; sets and returns the temperature."""
        from dolfinx.fem import petsc

        b = self._b
        b.set(0.0)
        for vec, _, _, name in self._loads:
            b.axpy(1.0 if name == "convection" else level, vec)
        petsc.set_bc(b, self.bcs)
        self._solve(0.0, 1.0, math.inf)
        return self.update_temperature()

    def update_temperature(self):
        self.temperature.x.array[:] = self.u.x.array + self.T_fixed
        return self.temperature

    # -- derived quantities ------------------------------------------------------------------------

    def measure(self, t):
        """Region max/mean temperatures and probe temperatures at the current state (K)."""
        from mpi4py import MPI

        out = {}
        uarr = self.u.x.array
        for label, (dofs, vec, volume) in self._regions.items():
            local = uarr[dofs].max() if len(dofs) else -np.inf
            out[f"{label}_max_temperature_K"] = self.comm.allreduce(local, op=MPI.MAX) + self.T_fixed
            out[f"{label}_mean_temperature_K"] = vec.dot(self.u.x.petsc_vec) / volume + self.T_fixed
        for name, (p, cell) in self._probes.items():
            local = float(self.u.eval(p, np.array([cell], np.int32))[0]) if cell is not None else 0.0
            out[f"{name}_temperature_K"] = self.comm.allreduce(local, op=MPI.SUM) + self.T_fixed
        return out

    def sample(self, points):
        """Temperatures (K) at ``points`` (m, shape (n, dim)), the same array on every rank.

        Collective: every rank passes the same points. A point outside the model raises ValueError.
        """
        from mpi4py import MPI

        pts = np.zeros((len(points), 3))
        pts[:, :np.shape(points)[1]] = points
        cells = locate_many(self.sm.mesh, pts)
        mine = cells >= 0
        local = np.zeros(len(pts))
        if mine.any():
            local[mine] = self.u.eval(pts[mine], cells[mine]).ravel()
        found = self.comm.allreduce(mine.astype(np.int32), op=MPI.SUM)
        if (found == 0).any():
            raise ValueError(f"{int((found == 0).sum())} sample points are outside the thermal model, e.g. "
                             f"{tuple(pts[np.argmin(found)])} m")
        # a point on a partition boundary is owned by several ranks: average them
        return self.comm.allreduce(local, op=MPI.SUM) / found + self.T_fixed

    def energies(self):
        """(stored energy J, conducted-out power W, convected-out power W) at the current state."""
        from dolfinx import fem
        from mpi4py import MPI

        u = self.u.x.petsc_vec
        stored = self._m_store.dot(u) - self._m_store.sum() * (self.T_initial - self.T_fixed)
        out = self.comm.allreduce(fem.assemble_scalar(self._flux_out), op=MPI.SUM) if self._flux_out else 0.0
        conv = sum(vec.dot(u) + vec.sum() * (self.T_fixed - T_amb)
                   for (vec, (_, T_amb)) in zip(self._conv_vec.values(), self._convection.values()))
        return stored, out, conv

    def absorbed_energy(self, t):
        """∫ source power dt (J); NaN when a source's profile has no exact integral (a feedback)."""
        return sum(power * (float(prof.integral(t)) if hasattr(prof, "integral") else math.nan)
                   for _, prof, power, _ in self._loads if power is not None)

    def source_power(self, t):
        return sum(power * float(prof(t)) for _, prof, power, _ in self._loads if power is not None)

    def deposited_power(self, t):
        """What the assembled loads put into the discrete system at ``t`` (W; the sum of the load
        vectors, the test functions summing to one): equals :meth:`source_power` when each load
        deposits exactly the power it declares."""
        return sum(vec.sum() * float(prof(t)) for vec, prof, power, _ in self._loads if power is not None)

    # -- the time loop -----------------------------------------------------------------------------

    def restarts(self):
        return sorted({t for _, prof, _, _ in self._loads for t in getattr(prof, "jumps", list)() if t > 0})

    def breakpoints(self):
        return sorted({t for _, prof, _, _ in self._loads for t in getattr(prof, "breakpoints", list)() if t > 0})

    def run(self, times=None, outputs=(), on_output=None, on_step=None, energy=True, adaptive=None,
            checkpoint=None, resume=False, on_resume=None):
        """Integrate over ``times`` (from :func:`time_grid`), or with error-controlled steps to
        ``adaptive.end`` (an :class:`Adaptive`); returns a :class:`History`.

        ``on_output(t, solver)`` is called at the first time and at the times in ``outputs`` (write
        fields there); ``on_step(i, n, t)`` after every step (progress display; n is an estimate
        when adaptive). ``checkpoint``: a :class:`cqdfem.checkpoint.Checkpointer` that saves the
        loop's whole state when due; with ``resume`` the run continues from its last checkpoint
        (if there is one): ``on_output`` is replayed for the snapshots taken before it and
        ``on_resume(columns)`` is called with the series so far.
        """
        restarts = np.array(self.restarts())
        outputs = np.asarray(sorted(outputs), dtype=float)
        plan = _FixedPlan(times) if adaptive is None else _AdaptivePlan(adaptive, self, outputs)
        cols = {"time_s": []}
        out_conducted = out_convected = 0.0
        prev_powers = None

        def record(t):
            nonlocal prev_powers, out_conducted, out_convected
            cols["time_s"].append(t)
            self.latest = self.measure(t)        # for on_step callbacks: measured once per step
            for k, val in self.latest.items():
                cols.setdefault(k, []).append(val)
            if energy:
                stored, p_out, p_conv = self.energies()
                if prev_powers is not None:      # trapezoid in time for the boundary losses
                    t_prev, p0, c0 = prev_powers
                    out_conducted += 0.5 * (p0 + p_out) * (t - t_prev)
                    out_convected += 0.5 * (c0 + p_conv) * (t - t_prev)
                prev_powers = (t, p_out, p_conv)
                absorbed = self.absorbed_energy(t)
                for k, val in (("source_power_W", self.source_power(t)), ("absorbed_energy_J", absorbed),
                               ("stored_energy_J", stored), ("conducted_out_energy_J", out_conducted),
                               ("convected_out_energy_J", out_convected)):
                    cols.setdefault(k, []).append(val)

        def near(ts, t):
            return len(ts) and np.min(np.abs(ts - t)) <= 1e-9 * max(t, 1e-30)

        snapshots = []                  # (t, temperature array) at outputs, kept only for checkpoints
        previous, current = self.u.x.petsc_vec.copy(), self.u.x.petsc_vec.copy()
        have_previous, dt_prev, i = False, None, 0
        state = checkpoint.load(self.V) if (checkpoint is not None and resume) else None
        if state is None:
            t = plan.start
            record(t)
            if on_output:
                self.update_temperature()
                on_output(t, self)
                if checkpoint is not None:
                    snapshots.append((t, self.temperature.x.array.copy()))
        else:
            scalars, series, arrays = state
            t, i, have_previous, dt_prev = scalars["t"], scalars["i"], scalars["have_previous"], scalars["dt_prev"]
            out_conducted, out_convected = scalars["out_conducted"], scalars["out_convected"]
            prev_powers = tuple(scalars["prev_powers"]) if scalars["prev_powers"] else None
            cols.clear()
            cols.update((k, list(v)) for k, v in series.items())
            for k, t_snap in enumerate(scalars["snapshots"]):
                self.temperature.x.array[:] = arrays[f"snapshot_{k}"]
                snapshots.append((t_snap, self.temperature.x.array.copy()))
                if on_output:
                    on_output(t_snap, self)
            plan.restore(scalars["plan"], arrays)
            self.u.x.array[:] = arrays["u"]
            previous.array_w[:] = arrays["previous"][:previous.getLocalSize()]
            self.latest = {k: v[-1] for k, v in cols.items() if k != "time_s"}
            if on_resume:
                on_resume(cols)
        while not plan.done(t):
            t1 = plan.next(t)
            self.u.x.petsc_vec.copy(current)              # u^n, before the step overwrites it
            # BDF2 is zero-stable for step ratios below 1 + sqrt(2): after a short landing step,
            # take one backward-Euler step instead
            second_order = have_previous and (t1 - t) / dt_prev < 2.4
            self.step(t, t1, previous if second_order else None, dt_prev)
            if not plan.accept(t, t1, current):
                current.copy(self.u.x.petsc_vec)          # rejected: back to u^n, retry shorter
                self.u.x.scatter_forward()
                continue
            previous, current = current, previous
            restarted = near(restarts, t1)                # the source jumps: restart the scheme
            plan.advanced(t1, restarted)
            have_previous, dt_prev, t, i = not restarted, t1 - t, t1, i + 1
            record(t)
            if on_output and near(outputs, t):
                self.update_temperature()
                on_output(t, self)
                if checkpoint is not None:         # a resumed run replays them through on_output
                    snapshots.append((t, self.temperature.x.array.copy()))
            if on_step:
                on_step(i, max(plan.estimate(i), i), t)
            if checkpoint is not None and checkpoint.due(i):
                plan_state, plan_fields = plan.state()
                fields = {"u": self.u.x.array, "previous": _with_ghosts(previous, self.u), **plan_fields,
                          **{f"snapshot_{k}": a for k, (_, a) in enumerate(snapshots)}}
                checkpoint.save(self.V, {"t": t, "i": i, "have_previous": have_previous, "dt_prev": dt_prev,
                                         "out_conducted": out_conducted, "out_convected": out_convected,
                                         "prev_powers": list(prev_powers) if prev_powers else None,
                                         "plan": plan_state, "snapshots": [s for s, _ in snapshots]},
                                cols, fields)
        self.update_temperature()
        self.rejected_steps = plan.rejected
        return History(cols)

    def free(self):
        for A, ksp in self._solvers.values():
            if ksp is not None:
                ksp.destroy()
            A.destroy()
        self._solvers.clear()
        if self._cg is not None:
            self._cg[0].destroy()
            self._cg = None


def _with_ghosts(vec, like):
    """A PETSc vector's owned values padded to ``like``'s local array length (owned + ghosts; the
    ghosts are not used on restart, the owned values are matched by coordinate)."""
    out = np.zeros(len(like.x.array))
    n = vec.getLocalSize()
    out[:n] = vec.array_r[:n]
    return out


class _FixedPlan:
    rejected = 0

    def state(self):
        return {"k": self.k}, {}

    def restore(self, state, arrays):
        self.k = int(state["k"])

    def __init__(self, times):
        self.times = np.asarray(times, dtype=float)
        self.start, self.k = float(self.times[0]), 0

    def done(self, t):
        return self.k >= len(self.times) - 1

    def next(self, t):
        return float(self.times[self.k + 1])

    def accept(self, t0, t1, u_n):
        return True

    def advanced(self, t, restarted):
        self.k += 1

    def estimate(self, i):
        return len(self.times) - 1


@dataclasses.dataclass
class Adaptive:
    """Error-controlled time steps for :meth:`HeatSolver.run`.

    Steps are ``first_step · 2^k`` (few distinct sizes, so few matrices) chosen so that the local
    error of each BDF2 step, estimated from the difference to a quadratic extrapolation of the last
    three states (Milne's device, factor 2/11), stays below ``atol + rtol · max|T - T_fixed|``
    everywhere; a step over the bound is rejected and retried at half the size.
    """
    end: float
    rtol: float = 1e-3
    atol: float = 1e-3             # K
    first_step: float = 1e-10
    max_step: float | None = None


class _AdaptivePlan:
    def __init__(self, opts, solver, outputs):
        if solver.scheme != "bdf2":
            raise ValueError("the adaptive mode estimates the error of the bdf2 scheme")
        self.o, self.solver = opts, solver
        self.marks = np.array(sorted({*solver.breakpoints(), *outputs, opts.end}))
        self.marks = self.marks[(self.marks > 0) & (self.marks <= opts.end)]
        self.start, self.level, self.since_change, self.rejected = 0.0, 0, 0, 0
        self.history = [(0.0, solver.u.x.petsc_vec.copy())]   # the last accepted states (t, u)
        self.n_est = 100

    def done(self, t):
        return t >= self.o.end * (1 - 1e-12)

    def _dt(self):
        dt = self.o.first_step * 2 ** self.level
        return dt if self.o.max_step is None else min(dt, self.o.max_step)

    def next(self, t):
        mark = self.marks[np.searchsorted(self.marks, t * (1 + 1e-12) + 1e-300)]
        return float(mark) if mark - t <= self._dt() * (1 + 1e-9) else t + _toward(mark - t, self._dt())

    def accept(self, t0, t1, u_n):
        from mpi4py import MPI

        if len(self.history) < 3:
            return True
        (ta, ua), (tb, ub) = self.history[-3], self.history[-2]      # history[-1] is (t0, u_n)
        # quadratic through (ta, ua), (tb, ub), (t0, u_n), evaluated at t1
        la = (t1 - tb) * (t1 - t0) / ((ta - tb) * (ta - t0))
        lb = (t1 - ta) * (t1 - t0) / ((tb - ta) * (tb - t0))
        lc = (t1 - ta) * (t1 - tb) / ((t0 - ta) * (t0 - tb))
        u = self.solver.u.x.petsc_vec
        n = u.getLocalSize()
        pred = la * ua.array[:n] + lb * ub.array[:n] + lc * u_n.array[:n]
        corr = u.array[:n]
        comm = self.solver.comm
        scale = comm.allreduce(float(np.abs(corr).max()) if n else 0.0, op=MPI.MAX)
        lte = comm.allreduce(float(np.abs(corr - pred).max()) if n else 0.0, op=MPI.MAX) * 2 / 11
        err = lte / (self.o.atol + self.o.rtol * scale)
        if err > 1 and self.level > 0 and t1 - t0 > 0.75 * self._dt():
            self.level -= 1
            self.since_change = 0
            self.rejected += 1
            return False
        self._grow = err < 0.125                    # third-order error: a doubled step stays below 1
        return True

    def advanced(self, t, restarted):
        state = (t, self.solver.u.x.petsc_vec.copy())
        if restarted:
            self.history, self.level, self.since_change = [state], 0, 0
            return
        self.history = (self.history + [state])[-3:]
        self.since_change += 1
        if getattr(self, "_grow", False) and self.since_change >= 3:
            self.level += 1
            self.since_change = 0
        self._grow = False

    def estimate(self, i):
        return self.n_est

    def state(self):
        return ({"level": self.level, "since_change": self.since_change, "rejected": self.rejected,
                 "grow": bool(getattr(self, "_grow", False)), "history_t": [t for t, _ in self.history]},
                {f"plan_{k}": _with_ghosts(v, self.solver.u) for k, (_, v) in enumerate(self.history)})

    def restore(self, state, arrays):
        self.level, self.since_change, self.rejected = state["level"], state["since_change"], state["rejected"]
        self._grow = state["grow"]
        self.history = []
        for k, t in enumerate(state["history_t"]):
            v = self.solver.u.x.petsc_vec.copy()
            v.array_w[:] = arrays[f"plan_{k}"][:v.getLocalSize()]
            self.history.append((t, v))


def locate(mesh, point, tol=1e-9):
    """An owned cell of this rank containing ``point`` (by barycentric coordinates), or None."""
    c = locate_many(mesh, np.asarray(point, dtype=float).reshape(1, 3), tol)[0]
    return int(c) if c >= 0 else None


def locate_many(mesh, points, tol=1e-9):
    """For each point (shape (n, 3)), an owned cell of this rank containing it, or -1.

    DOLFINx's compute_colliding_cells accepts points within an absolute distance tolerance that is
    as large as our cells (sub-micrometre cells in metres), so the bounding-box candidates are
    checked here exactly.
    """
    from dolfinx import geometry as dgeo

    tdim = mesh.topology.dim
    tree = dgeo.bb_tree(mesh, tdim)
    points = np.ascontiguousarray(points, dtype=float)
    coll = dgeo.compute_collisions_points(tree, points)
    n_owned = mesh.topology.index_map(tdim).size_local
    x, dofmap = mesh.geometry.x, compat.geometry_dofmap(mesh)
    out = np.full(len(points), -1, dtype=np.int32)
    for i in range(len(points)):
        for c in coll.links(i):
            if c >= n_owned:
                continue
            X = x[dofmap[c][:tdim + 1], :tdim]
            lam = np.linalg.solve((X[1:] - X[0]).T, points[i, :tdim] - X[0])
            if min(lam.min(), 1 - lam.sum()) >= -tol:
                out[i] = c
                break
    return out
