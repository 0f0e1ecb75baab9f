"""Full-vector guided modes of a 2D cross-section (x lateral, y vertical, z along the guide).

With E = (E_t + ẑ E_z) e^{−jβz} and the substitution e_t = β E_t, e_z = −j E_z (Lee, Sun & Cendes
1991; Jin, *The Finite Element Method in Electromagnetics*, ch. 8) the vector wave equation becomes
the real generalized eigenproblem

    [A_tt 0; 0 0] x = −β² [B_tt B_tz; B_zt B_zz] x,
    A_tt = (curl e_t, curl v_t) − k0² (ε e_t, v_t),
    B    = (e_t + ∇e_z, v_t + ∇v_z) − k0² (ε e_z, v_z),

e_t in N1curl (only tangential continuity: no spurious modes from the gradient null space, which
nodal elements for e_t let into the spectrum) and e_z Lagrange of the same degree. Coordinates are
measured in units of 1/k0, so the eigenvalue is −n_eff² directly.

Walls are PEC (n×E = 0: Dirichlet on e_t and e_z) or PMC (natural). Dirichlet rows carry 1 on A's
diagonal and 0 on B's, so their eigenvalues are infinite and shift-and-invert never returns them
(with 1 on both diagonals, as a naive set-up does, every wall dof is an eigenvalue −n_eff² = 1).
The formulation's own null space — e_t = 0 with any e_z, at β = 0 — is the far end of the spectrum
from the target and is rejected as "static" if SLEPc returns it.
A symmetry plane at x = 0 halves the problem: PEC keeps the quasi-TE family (E_x even), PMC the
quasi-TM family (E_y even).

SLEPc Krylov–Schur with shift-and-invert (MUMPS LU) targets n_eff just above the largest index.
Every eigenpair is checked: relative residual below ``check_tol`` (else reported unconverged),
real (|Im λ| small), propagating (n_eff² > 0) and, unless the walls are the physics
(``guided_only=False``: a metal waveguide), guided: n_eff above every cladding index touching the
walls; modes at or below it are the window's box modes (the discretised radiation continuum).
A guided mode whose field still reaches the walls is flagged (``wall_fraction``) — grow the window.
"""

import dataclasses
import math
import time

import numpy as np

from . import compat, optics
from .constants import ROOM_TEMPERATURE
from .errors import SolverError

WALLS = ("pec", "pmc")
WALL_LIMIT = 1e-6     # |E|² share near the walls above which a guided mode is said to feel them


@dataclasses.dataclass
class Section:
    """A meshed cross-section: regions with indices (optionally dn/dT) inside a rectangular box."""
    mesh: object                  # DOLFINx mesh, coordinates in units of 1/k0
    regions: tuple                # region names
    index: tuple                  # refractive index per region
    cell_region: np.ndarray       # per local cell: region number (0-based)
    wavelength: float
    walls: dict                   # left/right/bottom/top -> "pec" | "pmc"
    dn_dT: tuple = ()
    planes: tuple = ()            # sides that are symmetry planes or cut a uniform stack
    nodes: tuple = ()             # (x_nodes, y_nodes) of the tensor grid, m
    cladding: tuple = ()          # regions touching an outer wall (guided: n_eff above all of them)

    @property
    def box(self):
        """(x0, x1, y0, y1) in metres."""
        x, y = self.nodes
        return x[0], x[-1], y[0], y[-1]

    @property
    def k0(self):
        return 2 * math.pi / self.wavelength

    def cell_midpoints(self):
        """Midpoints (m) of the local cells, shape (cells, 2)."""
        from dolfinx.mesh import compute_midpoints

        tdim = self.mesh.topology.dim
        n = self.mesh.topology.index_map(tdim).size_local + self.mesh.topology.index_map(tdim).num_ghosts
        return compute_midpoints(self.mesh, tdim, np.arange(n, dtype=np.int32))[:, :2] / self.k0

    def permittivity(self, temperature=None, T_ref=ROOM_TEMPERATURE):
        """Per-cell ε; ``temperature`` (K): a number or a function of points (m, shape (n, 2))."""
        n = np.asarray(self.index, dtype=float)[self.cell_region]
        if temperature is not None:
            T = temperature(self.cell_midpoints()) if callable(temperature) else float(temperature)
            dndT = np.asarray(self.dn_dT or [0.0] * len(self.index), dtype=float)[self.cell_region]
            n = n + dndT * (np.asarray(T) - T_ref)
        return n * n


def rectangle(comm, x_nodes, y_nodes, regions, index, region_of, wavelength, walls=None, dn_dT=(),
              planes=(), cladding=None, diagonal="crossed"):
    """A section on the tensor grid ``x_nodes`` × ``y_nodes`` (m, increasing; interfaces on lines).

    ``region_of(x, y)`` gives the region number at points (arrays, m). ``walls``: kind per side
    (default PEC); sides named in ``planes`` are symmetry planes or cut a laterally uniform stack:
    part of the model, not a truncation the field must have decayed by.
    ``cladding``: the region names a guided mode must beat (default: every region met just inside
    a wall; give it when a layer runs through the side walls as part of the guide).
    """
    from dolfinx.mesh import CellType, DiagonalType, create_rectangle

    x_nodes, y_nodes = np.asarray(x_nodes, float), np.asarray(y_nodes, float)
    k0 = 2 * math.pi / wavelength
    diag = {"crossed": DiagonalType.crossed, "right": DiagonalType.right}[diagonal]
    mesh = create_rectangle(comm, [np.array([0.0, 0.0]), np.array([1.0, 1.0])],
                            [len(x_nodes) - 1, len(y_nodes) - 1], CellType.triangle, diagonal=diag)
    # map the unit square's uniform grid onto the graded one (crossed centres land mid-cell)
    g = mesh.geometry.x
    g[:, 0] = np.interp(g[:, 0], np.linspace(0, 1, len(x_nodes)), x_nodes) * k0
    g[:, 1] = np.interp(g[:, 1], np.linspace(0, 1, len(y_nodes)), y_nodes) * k0
    walls = dict({"left": "pec", "right": "pec", "bottom": "pec", "top": "pec"}, **(walls or {}))
    for side, kind in walls.items():
        if kind not in WALLS:
            raise ValueError(f"wall {side!r} must be 'pec' or 'pmc', not {kind!r}")
    sec = Section(mesh, tuple(regions), tuple(index), np.zeros(0, dtype=np.int32), wavelength, walls,
                  tuple(dn_dT), planes=tuple(planes), nodes=(x_nodes, y_nodes))
    mid = sec.cell_midpoints()
    sec.cell_region = np.asarray(region_of(mid[:, 0], mid[:, 1]), dtype=np.int32)
    if cladding is not None:
        sec.cladding = tuple(sec.regions.index(name) for name in cladding)
        return sec
    # the claddings: regions met just inside the outer walls (same answer on every rank)
    xm, ym = 0.5 * (x_nodes[1:] + x_nodes[:-1]), 0.5 * (y_nodes[1:] + y_nodes[:-1])
    inset_x, inset_y = 1e-6 * (x_nodes[-1] - x_nodes[0]), 1e-6 * (y_nodes[-1] - y_nodes[0])
    probes = {"left": (np.full_like(ym, x_nodes[0] + inset_x), ym),
              "right": (np.full_like(ym, x_nodes[-1] - inset_x), ym),
              "bottom": (xm, np.full_like(xm, y_nodes[0] + inset_y)),
              "top": (xm, np.full_like(xm, y_nodes[-1] - inset_y))}
    sec.cladding = tuple(sorted({int(r) for side, (px, py) in probes.items() if side not in sec.planes
                                 for r in np.atleast_1d(region_of(px, py))}))
    return sec


def from_slab(slab, wavelength, ridge=None, width=None, symmetry=None, side_wall="pec", window=None,
              cells_per_layer=12, resolution=5.0, comm=None, dn_dT=None):
    """The cross-section of a layer stack (:class:`cqdfem.optics.Slab`), y = 0 on the substrate.

    ``ridge``: (layer, width m) — that layer only for |x| < width/2, the cover beside it.
    ``width``: the lateral window (m; default: the ridge plus 2.5 wavelengths a side). Without a
    ridge the default is λ/(4 n_max): every laterally varying mode is then evanescent, and only the
    x-independent modes of the stack remain — TE with PEC side walls, TM with PMC ones.
    ``symmetry``: None (full width) or "pec"/"pmc" at x = 0 (half the width is meshed).
    ``side_wall``: the lateral walls ("pec" or "pmc"). Layers that run through them are part of the
    guide, so guided means n_eff above the substrate and the cover.
    ``window``: (substrate, cover) depths kept (default 2 wavelengths each: ~10 decay lengths of a
    film-guided mode; the modes' ``wall_fraction`` tells when it is not enough).
    ``dn_dT``: {layer or substrate/cover name: dn/dT} for temperature fields (default: the slab's
    own, which :meth:`Slab.from_geometry` takes from the materials).
    Resolution: ``cells_per_layer`` through each finite layer; elsewhere ``resolution`` elements per
    wavelength in the densest material, finer towards layer interfaces and ridge edges where the
    field has kinks and corners. The defaults give n_eff to ~5e-7 with degree-2 elements
    (benchmarks/results.md).
    """
    from mpi4py import MPI

    comm = comm or MPI.COMM_WORLD
    window = window or (2 * wavelength, 2 * wavelength)
    h = wavelength / (slab.n_max * resolution)
    y_nodes, reg = optics.stack_nodes(slab, wavelength, window, cells_per_layer, h_max=h)
    names = [slab.substrate_name] + [n for n, _, _ in slab.layers] + [slab.cover_name]
    names = list(dict.fromkeys(names))
    index = {slab.substrate_name: slab.substrate, slab.cover_name: slab.cover}
    index.update({n: k for n, _, k in slab.layers})
    elem_region = np.array([names.index(r[0]) for r in reg])
    if width is None:
        width = (ridge[1] + 5 * wavelength) if ridge else wavelength / (4 * slab.n_max)
    half = 0.5 * width
    x0 = 0.0 if symmetry else -half
    if ridge:
        edge = 0.5 * ridge[1]
        if not 0 < edge < half:
            raise ValueError("the ridge must be narrower than the window")
        x_nodes = _lateral_nodes(x0, half, edge, h, min(y_nodes[1:] - y_nodes[:-1]))
    else:
        x_nodes = np.linspace(x0, half, max(2, int(math.ceil((half - x0) / h))) + 1)
    cover = names.index(slab.cover_name)
    ridge_region = names.index(ridge[0]) if ridge else -1

    def region_of(x, y):
        r = elem_region[np.clip(np.searchsorted(y_nodes, y) - 1, 0, len(elem_region) - 1)]
        if ridge:
            r = np.where((r == ridge_region) & (np.abs(x) > edge), cover, r)
        return r

    walls = {"left": symmetry or side_wall, "right": side_wall}
    dn_dT = dict(slab.dn_dT) if dn_dT is None else dn_dT
    dn = tuple(dn_dT.get(n, 0.0) for n in names)
    return rectangle(comm, x_nodes, y_nodes, names, [index[n] for n in names], region_of, wavelength,
                     walls, dn, planes=("left",) * bool(symmetry or not ridge) + ("right",) * (not ridge),
                     cladding=(slab.substrate_name, slab.cover_name))


def stack_modes(slab, wavelength, count=2, max_window=30, **options):
    """:func:`vector_modes` of :func:`from_slab` (``options`` go to either), with the substrate and
    cover windows grown until each holds 12 decay lengths of the least confined mode (at most
    ``max_window`` wavelengths) — near cutoff the tails are long."""
    solve_keys = {"degree", "temperature", "T_ref", "tol", "check_tol", "extra", "keep_fields"}
    solve = {k: v for k, v in options.items() if k in solve_keys}
    build = {k: v for k, v in options.items() if k not in solve_keys}
    k0 = 2 * math.pi / wavelength
    window = build.pop("window", (2 * wavelength, 2 * wavelength))
    while True:
        res = vector_modes(from_slab(slab, wavelength, window=window, **build), count=count, **solve)
        n_min = min(m.n_eff for m in res.modes)
        need = tuple(min(12 / (k0 * math.sqrt(max(n_min ** 2 - n ** 2, 1e-30))), max_window * wavelength)
                     for n in (slab.substrate, slab.cover))
        if all(w >= 0.999 * nd for w, nd in zip(window, need)):
            return res
        window = tuple(max(w, nd) for w, nd in zip(window, need))


def temperature_field(solver, section, substrate_top):
    """The temperature of a :class:`cqdfem.thermal.HeatSolver` as a function for
    :meth:`Section.permittivity`, sampled once at the section's grid nodes (layer interfaces among
    them, so a profile linear within each layer is carried exactly).

    The thermal model is 1D (z) or 2D (x lateral, y vertical; cartesian or axisymmetric, x = 0 on
    the axis). ``substrate_top``: its height (m) of the section's y = 0. Points above the thermal
    model (the cover, which it does not mesh) take the temperature of its top surface; a section
    wider than the model takes its edge value.
    """
    from scipy.interpolate import RegularGridInterpolator

    from mpi4py import MPI

    x0, x1, y0, y1 = section.box
    gx, gy = section.nodes
    mx = solver.sm.mesh.geometry.x
    comm, tdim = solver.comm, solver.sm.mesh.topology.dim
    if tdim not in (1, 2):
        raise ValueError("a temperature field for a cross-section needs a 1D or 2D thermal model")
    lo = [comm.allreduce(float(mx[:, i].min()) if len(mx) else np.inf, op=MPI.MIN) for i in (0, 1)]
    hi = [comm.allreduce(float(mx[:, i].max()) if len(mx) else -np.inf, op=MPI.MAX) for i in (0, 1)]
    if tdim == 1:                       # the one coordinate is the height: T(y) for every x
        T = solver.sample(np.clip(gy + substrate_top, lo[0], hi[0])[:, None])
        T = np.broadcast_to(T, (len(gx), len(gy)))
    else:
        X, Y = np.meshgrid(np.clip(np.abs(gx) if lo[0] >= 0 else gx, lo[0], hi[0]),
                           np.clip(gy + substrate_top, lo[1], hi[1]), indexing="ij")
        T = solver.sample(np.column_stack([X.ravel(), Y.ravel()])).reshape(X.shape)
    table = RegularGridInterpolator((gx, gy), T)
    return lambda pts: table(np.clip(pts, [x0, y0], [x1, y1]))


def thermo_optic(slab, solver, wavelength, substrate_top, period=None, order=2, state="end of the run"):
    """TE0 at the spot centre (x = 0) of a heat solution, cold and on its temperature field: a
    laterally uniform section (PEC walls keep the TE family), n(T) = n + dn/dT (T − 295 K) per
    material. With a DFB ``period``, the first-order Bragg shift at that period."""
    sec = from_slab(slab, wavelength, symmetry="pec", side_wall="pec")
    field = temperature_field(solver, sec, substrate_top=substrate_top)
    cold, hot = (vector_modes(sec, count=1, temperature=T) for T in (None, field))
    out = {"state": state, "wavelength_m": wavelength, "where": "spot centre (x = 0), laterally uniform TE0",
           "dn_dT_per_K": dict(slab.dn_dT), "n_eff_cold": cold.modes[0].n_eff, "n_eff_hot": hot.modes[0].n_eff,
           "delta_n_eff": hot.modes[0].n_eff - cold.modes[0].n_eff,
           "confinement_cold": cold.modes[0].confinement, "confinement_hot": hot.modes[0].confinement,
           "warnings": cold.warnings + hot.warnings}
    if period is not None:
        out["bragg_shift_m"] = optics.bragg_shift(out["delta_n_eff"], period, order)
    return out


def family_solves(polarizations, ridge=None, symmetry="pec"):
    """[(label, options for :func:`stack_modes`)] that give the asked mode families, and a note on
    a family the symmetry plane drops. A uniform stack is solved on a narrow section where every
    laterally varying mode is evanescent: PEC side walls keep the TE modes, PMC walls the TM ones."""
    note = None
    if ridge:
        what = "ridge, full width" if symmetry == "none" else f"ridge, {symmetry.upper()} plane at x = 0"
        skipped = {"pec": "TM", "pmc": "TE"}.get(symmetry)
        if skipped in polarizations:
            kept = "TE" if skipped == "TM" else "TM"
            note = (f"a {symmetry.upper()} plane at x = 0 keeps only the {kept}-like family: "
                    f"symmetry = {'pmc' if skipped == 'TM' else 'pec'} or none for {skipped}-like modes")
        return [(what, dict(symmetry=None if symmetry == "none" else symmetry))], note
    return [(pol, dict(symmetry=wall, side_wall=wall)) for pol, wall in (("TE", "pec"), ("TM", "pmc"))
            if pol in polarizations], note


def _lateral_nodes(x0, x1, edge, h_core, h_fine):
    """Lateral grid: ``h_fine`` at the ridge edges ±edge (field corners), growing to ``h_core``."""
    h_fine = min(h_fine, edge / 4)
    pts = {x0, x1}
    for e in (-edge, edge):
        if not x0 < e < x1:
            continue
        pts.add(e)
        for sgn in (-1, 1):
            x, h = e, h_fine
            while True:
                x += sgn * h
                if not x0 < x < x1:
                    break
                pts.add(x)
                h = min(h * 1.4, h_core)
    nodes = np.array(sorted(pts))
    keep = np.concatenate([[True], np.diff(nodes) > 1e-3 * h_fine])
    return nodes[keep]


def _wall_band(sec, mid, depth):
    """Which of the points ``mid`` (m) lie within ``depth`` (x, y) of an outer wall (not a plane)."""
    x0, x1, y0, y1 = sec.box
    near = np.zeros(len(mid), dtype=bool)
    for side, coord, value in (("left", 0, x0), ("right", 0, x1), ("bottom", 1, y0), ("top", 1, y1)):
        if side not in sec.planes:
            near |= np.abs(mid[:, coord] - value) <= depth[coord]
    return near


@dataclasses.dataclass
class VectorMode:
    n_eff: float
    wavelength: float
    polarization: str             # "TE" (E_x dominant) or "TM" (E_y dominant)
    te_fraction: float            # ∫|E_x|² / ∫|E_t|²
    confinement: dict             # region -> ∫_region |E|² / ∫ |E|² (full vector)
    power_confinement: dict       # region -> share of the z Poynting flux
    residual: float               # SLEPc relative residual ‖Ax − λBx‖ / ‖λ x‖
    wall_fraction: float          # share of |E|² in the outermost 2 % of the box (not planes)
    order: int = 0
    field: object = None          # DOLFINx Function (e_t, e_z) when kept

    def describe(self):
        return {"polarization": self.polarization, "order": self.order, "n_eff": self.n_eff,
                "te_fraction": self.te_fraction, "confinement": self.confinement,
                "power_confinement": self.power_confinement, "residual": self.residual,
                "wall_fraction": self.wall_fraction,
                "confinement_definition": "field: integral of |E|^2 (all three components) over the "
                                          "region / over the section"}


@dataclasses.dataclass
class Rejected:
    n_eff2: complex
    reason: str                   # "static" | "unconverged" | "complex" | "evanescent" | "box"


@dataclasses.dataclass
class Result:
    modes: list
    rejected: list
    dofs: int
    iterations: int
    seconds: dict                 # wall time of assemble / solve / check (this rank)
    warnings: list = dataclasses.field(default_factory=list)
    section: object = None


def vector_modes(section, count=2, degree=2, guided_only=True, temperature=None, T_ref=ROOM_TEMPERATURE,
                 tol=1e-11, check_tol=1e-8, keep_fields=False, extra=4):
    """Guided modes of ``section`` (highest n_eff first) and the eigenpairs rejected, as a Result.

    ``keep_fields``: keep each mode's (e_t, e_z) as ``mode.field`` (for :func:`write_modes`).
    Raises :class:`cqdfem.optics.CutoffError` if no guided mode is found, SolverError if SLEPc
    converges no eigenpair at all.
    """
    import ufl
    from basix.ufl import element, mixed_element
    from dolfinx import fem
    from mpi4py import MPI
    from slepc4py import SLEPc

    clock = [time.perf_counter()]
    mesh, comm = section.mesh, section.mesh.comm
    cell = mesh.basix_cell()
    V = fem.functionspace(mesh, mixed_element([element("N1curl", cell, degree),
                                               element("Lagrange", cell, degree)]))
    eps = fem.Function(fem.functionspace(mesh, ("DG", 0)))
    eps.x.array[_cell_dofs(eps.function_space)] = section.permittivity(temperature, T_ref)
    et, ez = ufl.TrialFunctions(V)
    vt, vz = ufl.TestFunctions(V)
    a = fem.form((ufl.inner(ufl.curl(et), ufl.curl(vt)) - eps * ufl.inner(et, vt)) * ufl.dx)
    b = fem.form((ufl.inner(et + ufl.grad(ez), vt + ufl.grad(vz)) - eps * ez * vz) * ufl.dx)
    bcs = _pec_conditions(section, V)
    A = compat.assemble_matrix(a, bcs, diagonal=1.0)
    B = compat.assemble_matrix(b, bcs, diagonal=0.0)

    n_top = max(section.index) if temperature is None else math.sqrt(float(
        comm.allreduce(eps.x.array.max() if len(eps.x.array) else 0.0, op=MPI.MAX)))
    E = shift_invert(comm, A, B, SLEPc.EPS.ProblemType.GNHEP, count + extra, tol, -(n_top ** 2) * (1 + 1e-6))
    clock.append(time.perf_counter())
    E.solve()
    clock.append(time.perf_counter())
    nconv = E.getConverged()
    if nconv < min(count, 1):
        raise SolverError(f"SLEPc converged {nconv} eigenpairs (reason {E.getConvergedReason()})")

    n_clad = max((section.index[r] for r in section.cladding), default=0.0)
    if temperature is not None and section.cladding:
        mask = np.isin(section.cell_region, section.cladding)
        local = np.sqrt(eps.x.array[mask]).max() if mask.any() else 0.0
        n_clad = comm.allreduce(float(local), op=MPI.MAX)
    u = fem.Function(V)
    vi = u.x.petsc_vec.duplicate()
    meas = _Measures(section, u)
    modes, rejected = [], []
    for i in range(nconv):
        lam = E.getEigenpair(i, u.x.petsc_vec, vi)
        u.x.scatter_forward()
        n2 = complex(-lam.real, -lam.imag)
        err = E.computeError(i, SLEPc.EPS.ErrorType.RELATIVE)
        if abs(n2) < 1e-8 * n_top ** 2:
            rejected.append(Rejected(n2, "static"))
        elif err > check_tol:
            rejected.append(Rejected(n2, "unconverged"))
        elif abs(n2.imag) > 1e-9 * abs(n2):
            rejected.append(Rejected(n2, "complex"))
        elif n2.real <= 0:
            rejected.append(Rejected(n2, "evanescent"))
        elif guided_only and n2.real <= n_clad ** 2 * (1 + 1e-9):
            rejected.append(Rejected(n2, "box"))
        else:
            m = meas.mode(math.sqrt(n2.real), section.wavelength, err)
            if keep_fields:
                m.field = u.copy()
            modes.append(m)
    modes.sort(key=lambda m: -m.n_eff)
    modes = modes[:count]
    for k, m in enumerate(modes):
        m.order = k
    its = E.getIterationNumber()
    dofs = V.dofmap.index_map.size_global * V.dofmap.index_map_bs
    for obj in (E, A, B, vi):
        obj.destroy()
    if not modes:
        raise optics.CutoffError(f"no guided mode at {section.wavelength * 1e9:.4g} nm: nothing above the "
                                 f"claddings' index {n_clad:.4g} in this section")
    clock.append(time.perf_counter())
    seconds = dict(zip(("assemble", "solve", "check"), np.diff(clock)))
    warnings = [f"mode {m.order} (n_eff {m.n_eff:.6f}) has {m.wall_fraction:.1e} of |E|^2 at the walls: the "
                "window is too small for it" for m in modes if guided_only and m.wall_fraction > WALL_LIMIT]
    return Result(modes, rejected, dofs, its, seconds, warnings, section)


def shift_invert(comm, A, B, problem_type, nev, tol, target):
    """A SLEPc Krylov–Schur solver of A x = λ B x for the ``nev`` eigenvalues nearest ``target``
    (shift-and-invert, MUMPS LU), ready to ``solve()``."""
    from slepc4py import SLEPc

    E = SLEPc.EPS().create(comm)
    E.setOperators(A, B)
    E.setProblemType(problem_type)
    E.setType(SLEPc.EPS.Type.KRYLOVSCHUR)
    E.setDimensions(nev=nev)
    E.setTolerances(tol=tol, max_it=500)
    E.setWhichEigenpairs(SLEPc.EPS.Which.TARGET_REAL)
    E.setTarget(target)
    st = E.getST()
    st.setType(SLEPc.ST.Type.SINVERT)
    ksp = st.getKSP()
    ksp.setType("preonly")
    ksp.getPC().setType("lu")
    ksp.getPC().setFactorSolverType("mumps")
    return E


def write_modes(path, section, modes):
    """E_t, E_z and |E|² of modes solved with ``keep_fields=True`` to one XDMF file (ParaView:
    Xdmf3 Reader T), coordinates in metres, mode k at "time" k, each scaled to peak |E|² = 1.

    The Nédélec field is sampled at the vertices (P1) for display; integrals use the exact field."""
    from dolfinx import fem
    from dolfinx.io import XDMFFile
    from mpi4py import MPI

    mesh = section.mesh
    Et = fem.Function(fem.functionspace(mesh, ("Lagrange", 1, (2,))), name="E_t")
    Ez = fem.Function(fem.functionspace(mesh, ("Lagrange", 1)), name="E_z")
    I = fem.Function(Ez.function_space, name="intensity")
    g = mesh.geometry.x
    scaled = g.copy()
    g[:] = scaled / section.k0                 # write in metres; the solver's units are 1/k0
    try:
        with XDMFFile(mesh.comm, str(path), "w") as f:
            f.write_mesh(mesh)
            for k, m in enumerate(modes):
                Et.interpolate(m.field.sub(0).collapse())
                Ez.interpolate(m.field.sub(1).collapse())
                Et.x.array[:] /= m.n_eff            # E_t = e_t/β (β = n_eff in solver units); E_z = j e_z
                I.x.array[:] = (Et.x.array.reshape(-1, 2) ** 2).sum(axis=1) + Ez.x.array ** 2
                peak = mesh.comm.allreduce(float(I.x.array.max()) if len(I.x.array) else 0.0, op=MPI.MAX)
                for fn, power in ((Et, 0.5), (Ez, 0.5), (I, 1.0)):
                    fn.x.array[:] /= peak ** power
                    f.write_function(fn, float(k))
    finally:
        g[:] = scaled


def _pec_conditions(section, V):
    """Homogeneous Dirichlet conditions (both fields) on the PEC walls."""
    from dolfinx import fem
    from dolfinx.mesh import locate_entities_boundary

    mesh = section.mesh
    k0 = section.k0
    x0, x1, y0, y1 = (v * k0 for v in section.box)
    tol = 1e-9 * max(x1 - x0, y1 - y0)
    tests = {"left": lambda x: np.isclose(x[0], x0, atol=tol), "right": lambda x: np.isclose(x[0], x1, atol=tol),
             "bottom": lambda x: np.isclose(x[1], y0, atol=tol), "top": lambda x: np.isclose(x[1], y1, atol=tol)}
    mesh.topology.create_connectivity(mesh.topology.dim - 1, mesh.topology.dim)
    facets = [locate_entities_boundary(mesh, 1, tests[s]) for s, kind in section.walls.items() if kind == "pec"]
    facets = np.unique(np.concatenate(facets)) if facets else np.zeros(0, dtype=np.int32)
    zero = fem.Function(V)
    dofs = fem.locate_dofs_topological(V, 1, facets.astype(np.int32))
    return [fem.dirichletbc(zero, dofs)]


def _cell_dofs(W):
    """The DG0 dof of each local cell (owned then ghost)."""
    return W.dofmap.list[:, 0]


class _Measures:
    """Per-region integrals of a mode's |E_x|², |E_y|², |E_z|² and Poynting flux (MPI-summed)."""

    def __init__(self, section, u):
        import ufl
        from dolfinx import fem

        self.section = section
        mesh = section.mesh
        W = fem.functionspace(mesh, ("DG", 0))
        w = ufl.TestFunction(W)
        et, ez = ufl.split(u)
        # E_t = e_t/β and E_z = j e_z (β = n_eff in these units, applied after assembly);
        # H_t = ẑ×(β E_t + ∇e_z)/(ωμ), so S_z ∝ E_t·(β E_t + ∇e_z) ∝ e_t·(e_t + ∇e_z)
        self.forms = [fem.form(q * w * ufl.dx) for q in
                      (et[0] ** 2, et[1] ** 2, ez ** 2, ufl.inner(et, et + ufl.grad(ez)))]
        self.vectors = [fem.Function(W) for _ in self.forms]
        tdim = mesh.topology.dim
        self.n_local = mesh.topology.index_map(tdim).size_local
        self.dof = _cell_dofs(W)[: self.n_local]
        x0, x1, y0, y1 = section.box
        # the outermost 2 % of the box on each side: a guided mode should have no field left there
        self.band = _wall_band(section, section.cell_midpoints()[: self.n_local],
                               (0.02 * (x1 - x0), 0.02 * (y1 - y0)))

    def mode(self, n_eff, wavelength, residual):
        from dolfinx import fem
        from mpi4py import MPI

        sec, nl = self.section, self.n_local
        per_cell = []
        for f, v in zip(self.forms, self.vectors):
            v.x.array[:] = 0.0
            fem.assemble_vector(v.x.array, f)
            per_cell.append(v.x.array[self.dof].copy())
        ex2, ey2, ez2, sz = per_cell
        b2 = n_eff * n_eff
        e2 = (ex2 + ey2) / b2 + ez2
        regs = sec.cell_region[:nl]
        nreg = len(sec.regions)
        local = np.zeros((4, nreg + 1))
        for k, q in enumerate((e2, sz, ex2, ey2)):
            local[k, :nreg] = np.bincount(regs, weights=q, minlength=nreg)
        local[0, nreg] = e2[self.band].sum()
        tot = sec.mesh.comm.allreduce(local, op=MPI.SUM)
        field, power = tot[0, :nreg], tot[1, :nreg]
        tx, ty = tot[2, :nreg].sum(), tot[3, :nreg].sum()
        te = tx / (tx + ty) if tx + ty > 0 else 0.0
        return VectorMode(n_eff, wavelength, "TE" if te >= 0.5 else "TM", float(te),
                          {r: float(field[i] / field.sum()) for i, r in enumerate(sec.regions)},
                          {r: float(power[i] / power.sum()) for i, r in enumerate(sec.regions)},
                          float(residual), float(tot[0, nreg] / field.sum()))
