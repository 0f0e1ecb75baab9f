"""Band edges of a DFB grating from its Bloch-periodic unit cell (x along the grating, z vertical).

The cell is one period Λ of the stack's cross-section, with the patterned layer resolved and the
rest of the stack above and below as in the slab solver (graded z nodes, Dirichlet far out in the
claddings). A wave of order m at its Bragg line has β = mK/2 (K = 2π/Λ), so its band edge sits at the
Γ point (k = 0: periodic walls) for even m and at the zone edge (k = K/2: antiperiodic) for odd m.
With coordinates in units of 1/K the scalar problems are real and symmetric:

    TE (E_y, along the bars):    ∫ ∇E·∇v = μ ∫ ε E v,
    TM (H_y):                    ∫ ∇H·∇v / ε = μ ∫ H v,        μ = (k0/K)² = (Λ/λ)².

Periodicity is imposed algebraically (one implementation for every DOLFINx version, no
dolfinx_mpc): a matrix P maps the reduced unknowns (every dof except the right wall's, which are
their left partners' copies — negated when antiperiodic — and the Dirichlet ends) to the full
space, and SLEPc solves (Pᵀ A P) x = μ (Pᵀ B P) x with shift-and-invert (MUMPS) at the
effective-medium Bragg line. The wall partners are matched by their z coordinate, gathered over
the ranks, so the cell can be split across MPI ranks anywhere.

The patterned layer's permittivity along x:

- ``lines``: bars of width w (a 1D grating; exact for one);
- ``square``: cylinders of diameter d on a square lattice, averaged over the other lattice direction
  (ε(x) = ε_gap + Δε · 2√(r² − x²)/Λ). Its Fourier coefficients along x are exactly those of the
  2D lattice at G = (mK, 0), so first-order coupled-wave theory for waves along x is unchanged;
  what the averaging misses is the 2D lattice's coupling through the oblique G (Sakai/Noda) and
  the y-variation of the field (a 3D cell would resolve both).

The two band-edge modes are told apart by their parity about the ridge centre: the antisymmetric
one has a node on the ridge and no zeroth harmonic, so at the Γ point it cannot radiate vertically
(order 2: the weakly radiating edge a finite DFB lases on); the symmetric one radiates through the
grating's first harmonic. That radiation is a complex (leaky) eigenvalue problem; the runtime's
PETSc is real-only, so the open top and bottom are truncated here and the symmetric edge's
radiation shows only as field left in the claddings (``outside_fraction``), not as a Q.

κ follows from the splitting at fixed β: the band edges are ω_B ± κ v_g, so κ = π n_g Δλ / λ², n_g
the effective-medium slab mode's group index (no material dispersion). First-order coupled-wave
theory (TE, index coupling) gives Δλ/λ = Γ_ε ``|ε_m|`` with Γ_ε = ∫_grating f² / ∫ ε f² of that slab
mode and ε_m the patterned layer's m-th Fourier coefficient: reported beside the cell's answer.
"""

import dataclasses
import math
import time

import numpy as np

from . import compat, optics
from .errors import SolverError
from .vectormodes import shift_invert

LATTICES = ("square", "lines")


@dataclasses.dataclass(frozen=True)
class Grating:
    """The patterned layer of a slab: ridges (bars or pillars) of index ``n_ridge`` in ``n_gap``."""
    layer: str                    # the slab layer it replaces
    period: float                 # m
    width: float                  # bar width (lines) or pillar diameter (square), m
    n_ridge: float
    n_gap: float
    lattice: str = "square"

    def __post_init__(self):
        if self.lattice not in LATTICES:
            raise ValueError(f"lattice must be one of {LATTICES}, not {self.lattice!r}")
        if not 0 < self.width < self.period:
            raise ValueError("the ridge width must lie between 0 and the period")

    @classmethod
    def from_geometry(cls, geometry):
        """The geometry's pillar layer as a square lattice of cylinders."""
        layer = next((l for l in geometry.layers if l.pillars is not None), None)
        if layer is None:
            raise ValueError("the geometry has no layer with pillars (no grating)")
        p = layer.pillars
        for m in (layer.material, p.fill):
            if m.refractive_index is None:
                raise ValueError(f"material {m.name!r} of the grating {layer.name!r} has no refractive_index")
        return cls(layer.name, p.period, p.diameter, layer.material.refractive_index,
                   p.fill.refractive_index, "square")

    @property
    def contrast(self):
        """Δε = ε_ridge − ε_gap."""
        return self.n_ridge ** 2 - self.n_gap ** 2

    def fourier(self, m):
        """The m-th Fourier coefficient along x of the ridge share (ε_m / Δε), ridge centred at 0."""
        r, L = self.width / 2, self.period
        if self.lattice == "lines":
            return self.width / L if m == 0 else math.sin(m * math.pi * self.width / L) / (m * math.pi)
        if m == 0:
            return math.pi * r * r / (L * L)
        from scipy.special import j1

        return r * float(j1(m * 2 * math.pi * r / L)) / (m * L)

    @property
    def mean_permittivity(self):
        """ε_0: the zeroth-order effective medium (volume-weighted permittivity)."""
        return self.n_gap ** 2 + self.contrast * self.fourier(0)

    def effective_slab(self, slab):
        """``slab`` with the patterned layer replaced by its zeroth-order effective medium."""
        if self.layer not in [name for name, _, _ in slab.layers]:
            raise ValueError(f"the slab has no layer {self.layer!r}")
        return slab.with_layer(self.layer, index=math.sqrt(self.mean_permittivity))


@dataclasses.dataclass
class BandMode:
    wavelength: float             # m
    parity: str                   # "symmetric" | "antisymmetric" about the ridge centre
    radiating: bool               # has a zeroth harmonic (order 2 at Γ: radiates out of plane)
    guide_fraction: float         # share of the energy (TE ε|E|², TM |H|²) between the claddings
    harmonic_share: float         # how much of the field in the stack is the Bragg harmonic (0..1)
    outside_fraction: float       # energy beyond the windows' inner half: radiation or a box mode
    confinement: dict             # layer -> ∫_layer |E|² / ∫ |E|² (TE: E_y; TM: H_y)
    residual: float
    values: np.ndarray = dataclasses.field(default=None, repr=False)   # local dof values, max |.| = 1

    def describe(self):
        return {"wavelength_m": self.wavelength, "parity": self.parity, "radiating": self.radiating,
                "guide_fraction": self.guide_fraction, "harmonic_share": self.harmonic_share,
                "outside_fraction": self.outside_fraction, "confinement": self.confinement,
                "relative_residual": self.residual}


@dataclasses.dataclass
class Bands:
    polarization: str
    order: int
    period: float
    edges: tuple                  # (short, long) band-edge wavelengths, m
    modes: list                   # the two band-edge BandModes, short first
    bragg_wavelength: float       # effective-medium line 2 n_eff Λ / m, m
    bragg_n_eff: float
    group_index: float
    coupling: float               # κ from the splitting, 1/m
    coupling_cwt: float | None    # first-order coupled-wave κ (TE), 1/m
    splitting_cwt: float | None   # first-order Δλ (TE), m
    dofs: int
    seconds: float
    others: list                  # other eigenpairs near the line: (wavelength, guide, harmonic)
    cell: object = dataclasses.field(default=None, repr=False)

    def functions(self):
        """The band-edge fields as DOLFINx Functions on the cell (coordinates in units of 1/K)."""
        out = []
        for m in self.modes:
            f = self.cell.u.copy()
            f.x.array[:] = m.values
            f.name = f"{'E_y' if self.polarization == 'TE' else 'H_y'} {m.wavelength * 1e9:.3f} nm ({m.parity})"
            out.append(f)
        return out

    def write_fields(self, path):
        """The band-edge fields to an XDMF file (ParaView; collective), interpolated to the mesh's
        linear elements; coordinates in metres while writing (the cell's are in units of 1/K)."""
        from dolfinx import fem
        from dolfinx.io import XDMFFile

        msh = self.cell.mesh
        P1 = fem.functionspace(msh, ("Lagrange", 1))
        g = msh.geometry.x
        g /= self.cell.s
        try:
            with XDMFFile(msh.comm, str(path), "w") as f:
                f.write_mesh(msh)
                for fn in self.functions():
                    out = fem.Function(P1, name=fn.name)
                    out.interpolate(fn)
                    f.write_function(out)
        finally:
            g *= self.cell.s

    def profiles(self, margin=0.3e-6):
        """{x_m, z_m, <one column per edge>} at the dofs within ``margin`` of the stack (gathered on
        every rank; z = 0 on the substrate): for a picture or a CSV."""
        c = self.cell
        n_own = c.V.dofmap.index_map.size_local
        X = c.V.tabulate_dof_coordinates()[:n_own, :2] / c.s
        near = (X[:, 1] > -margin) & (X[:, 1] < c.top + margin)
        cols = {"x_m": X[near, 0], "z_m": X[near, 1]}
        for m in self.modes:
            cols[f"{m.parity}_{m.wavelength * 1e9:.3f}nm"] = m.values[:n_own][near]
        return {k: np.concatenate(c.comm.allgather(v)) for k, v in cols.items()}

    @property
    def lasing_edge(self):
        """The non-radiating (antisymmetric) edge for an even order; else the longer-wavelength one."""
        for m in self.modes:
            if self.order % 2 == 0 and m.parity == "antisymmetric":
                return m
        return self.modes[-1]

    def describe(self):
        return {"band_edges_m": list(self.edges), "splitting_m": self.edges[1] - self.edges[0],
                "coupling_coefficient_per_m": self.coupling,
                "coupling_coefficient_cwt_per_m": self.coupling_cwt, "splitting_cwt_m": self.splitting_cwt,
                "bragg_wavelength_m": self.bragg_wavelength, "bragg_n_eff": self.bragg_n_eff,
                "group_index": self.group_index, "polarization": self.polarization, "order": self.order,
                "period_m": self.period, "lasing_edge_m": self.lasing_edge.wavelength,
                "lasing_edge_parity": self.lasing_edge.parity,
                "modes": [m.describe() for m in self.modes], "dofs": self.dofs, "seconds": self.seconds,
                "definitions": {
                    "coupling_coefficient": "pi n_g (lambda_long - lambda_short) / lambda_B^2 (index coupling, "
                                            "n_g of the effective-medium slab mode)",
                    "coupling_coefficient_cwt": "first-order coupled-wave theory: (k0 n_g / 2) Gamma_eps |eps_m| "
                                                "(TE only)",
                    "lasing_edge": "order 2: the antisymmetric (non-radiating) edge; the radiation loss of the "
                                   "other is not computed (real arithmetic, truncated claddings)"}}


def group_index(slab, wavelength, polarization="TE", rel=1e-3):
    """n_g = n_eff − λ dn_eff/dλ of the fundamental slab mode (central difference, no material dispersion)."""
    lo, hi = wavelength * (1 - rel), wavelength * (1 + rel)
    n_lo = optics.slab_modes(slab, lo, polarization, 1)[0].n_eff
    n_hi = optics.slab_modes(slab, hi, polarization, 1)[0].n_eff
    n = optics.slab_modes(slab, wavelength, polarization, 1)[0].n_eff
    return n - wavelength * (n_hi - n_lo) / (hi - lo)


def cwt_splitting(slab, grating, wavelength, order=2):
    """First-order coupled-wave Δλ (m) of a TE grating at its Bragg line ``wavelength``.

    Δλ/λ = Γ_ε ``|Δε ε_m|``, Γ_ε = ∫_grating f² / ∫ ε f², f the effective-medium slab mode's E_y.
    """
    eff = grating.effective_slab(slab)
    mode = optics.slab_modes(eff, wavelength, "TE", 1)[0]
    y, u = mode.y, mode.field
    eps = {name: n * n for name, _, n in eff.layers}
    eps[eff.substrate_name], eps[eff.cover_name] = eff.substrate ** 2, eff.cover ** 2
    bounds, z = {}, 0.0
    for name, t, _ in eff.layers:
        bounds[name] = (z, z + t)
        z += t
    # quadratic dofs: integrate u² exactly element by element (Simpson)
    Me = np.array([[4, 2, -1], [2, 16, 2], [-1, 2, 4]]) / 30.0
    num = den = 0.0
    for e in range(0, len(y) - 1, 2):
        a, b = y[e], y[e + 2]
        ue = u[e:e + 3]
        w = (b - a) * float(ue @ Me @ ue)
        mid = 0.5 * (a + b)
        name = next((n for n, (z0, z1) in bounds.items() if z0 <= mid < z1),
                    eff.substrate_name if mid < 0 else eff.cover_name)
        den += eps[name] * w
        if name == grating.layer:
            num += w
    return wavelength * (num / den) * abs(grating.contrast * grating.fourier(order))


def band_edges(slab, grating, order=2, polarization="TE", near=None, cells=24, cells_per_layer=8, degree=2,
               comm=None, count=8, window=None, tol=1e-12, check_tol=1e-8):
    """The two band edges of the grating's fundamental mode family (a :class:`Bands`).

    ``slab``: the stack (``optics.Slab``; the patterned layer's own index is ignored); ``near``: a
    guess for the line (default 643 nm), refined to the effective-medium Bragg line; ``cells``:
    cells along one period; ``window``: (below, above) lengths of cladding kept (default 20 decay
    lengths of the effective-medium mode, at least 2 wavelengths).
    """
    from mpi4py import MPI

    if polarization not in ("TE", "TM"):
        raise ValueError("polarization must be 'TE' or 'TM'")
    comm = comm or MPI.COMM_WORLD
    clock = time.perf_counter()
    eff = grating.effective_slab(slab)
    lam_b, n_b = optics.bragg_wavelength(eff, grating.period, order, guess=near or optics.EMISSION_WAVELENGTH,
                                         polarization=polarization)
    n_g = group_index(eff, lam_b, polarization)
    if window is None:
        k0 = 2 * math.pi / lam_b
        window = tuple(max(2 * lam_b, 20 / (k0 * math.sqrt(max(n_b ** 2 - n ** 2, 1e-30))))
                       for n in (eff.substrate, eff.cover))
    cell = _Cell(eff, grating, lam_b, order, polarization, cells, cells_per_layer, degree, window, comm)
    modes, others, extra = None, [], 0
    while modes is None:
        pairs = cell.solve(count + extra, (grating.period / lam_b) ** 2, tol, check_tol)
        modes, others = _pick(pairs, lam_b)
        if modes is None:
            if extra >= 56:
                raise SolverError(f"no pair of band-edge modes among {len(pairs)} eigenpairs near the Bragg line "
                                  f"{lam_b * 1e9:.2f} nm ({cell.dofs} dofs): is the grating layer guiding?")
            extra = 2 * extra + 8
    modes.sort(key=lambda m: m.wavelength)
    edges = (modes[0].wavelength, modes[1].wavelength)
    split = None if polarization != "TE" else cwt_splitting(slab, grating, lam_b, order)
    kappa = math.pi * n_g * (edges[1] - edges[0]) / lam_b ** 2
    kappa_cwt = None if split is None else math.pi * n_g * split / lam_b ** 2
    return Bands(polarization, order, grating.period, edges, modes, lam_b, n_b, n_g, kappa, kappa_cwt, split,
                 cell.dofs, time.perf_counter() - clock, others, cell)


def _pick(pairs, line):
    """The symmetric and antisymmetric band-edge modes: of each parity, the guided mode carrying
    the Bragg harmonic nearest the effective-medium ``line`` (other families — a thick cap's own
    modes, higher orders — lie further off); None if either is missing."""
    best = {}
    for m in pairs:
        if m.guide_fraction < 0.5 or m.harmonic_share < 0.2 or abs(m.wavelength / line - 1) > 0.05:
            continue
        if m.parity not in best or abs(m.wavelength - line) < abs(best[m.parity].wavelength - line):
            best[m.parity] = m
    if len(best) == 1:
        # no contrast: the pair is degenerate and SLEPc may return any rotation of cos and sin
        (first,) = best.values()
        twin = [m for m in pairs if m is not first and abs(m.wavelength / first.wavelength - 1) < 1e-9
                and m.guide_fraction >= 0.5]
        if twin:
            best["other"] = twin[0]
    if len(best) < 2:
        return None, []
    chosen = list(best.values())
    others = [(m.wavelength, m.guide_fraction, m.harmonic_share) for m in pairs if m not in chosen]
    return chosen, others


class _Cell:
    """The meshed unit cell, its periodic operators and the per-mode measures."""

    def __init__(self, eff, grating, lam_b, order, polarization, cells, cells_per_layer, degree, window, comm):
        import ufl
        from dolfinx import fem, mesh as dmesh
        from mpi4py import MPI

        self.grating, self.order, self.polarization, self.comm = grating, order, polarization, comm
        L = grating.period
        s = 2 * math.pi / L                       # coordinates in units of 1/K
        self.s = s
        z_nodes, reg = optics.stack_nodes(eff, lam_b, window, cells_per_layer)
        r = grating.width / 2
        xc = L / 2
        # the ridge edges on nodes: a piecewise-uniform x grid (the profile's kinks sit on lines)
        seg = (xc - r, 2 * r, L - xc - r)
        n_seg = [max(2, int(round(cells * w / L))) for w in seg]
        x_nodes = np.concatenate([np.linspace(0, xc - r, n_seg[0] + 1)[:-1],
                                  np.linspace(xc - r, xc + r, n_seg[1] + 1)[:-1],
                                  np.linspace(xc + r, L, n_seg[2] + 1)])
        msh = dmesh.create_rectangle(comm, [np.array([0.0, 0.0]), np.array([1.0, 1.0])],
                                     [len(x_nodes) - 1, len(z_nodes) - 1], dmesh.CellType.triangle,
                                     diagonal=dmesh.DiagonalType.crossed)
        g = msh.geometry.x
        g[:, 0] = np.interp(g[:, 0], np.linspace(0, 1, len(x_nodes)), x_nodes) * s
        g[:, 1] = np.interp(g[:, 1], np.linspace(0, 1, len(z_nodes)), z_nodes) * s
        self.mesh, self.box = msh, (0.0, L * s, z_nodes[0] * s, z_nodes[-1] * s)

        # regions: 0 substrate, 1.. the finite layers, last the cover; per local cell from its midpoint
        names = [eff.substrate_name] + [n for n, _, _ in eff.layers] + [eff.cover_name]
        index = [eff.substrate] + [n for _, _, n in eff.layers] + [eff.cover]
        tops = np.cumsum([0.0] + [t for _, t, _ in eff.layers])
        tdim = msh.topology.dim
        n_cells = msh.topology.index_map(tdim).size_local + msh.topology.index_map(tdim).num_ghosts
        mid = dmesh.compute_midpoints(msh, tdim, np.arange(n_cells, dtype=np.int32))[:, 1] / s
        region = np.searchsorted(tops, mid, side="right").astype(np.int32)   # 0 below, len(tops) above
        self.names, self.region, self.top = names, region, tops[-1]
        g_id = names.index(grating.layer)
        tags = dmesh.meshtags(msh, tdim, np.arange(n_cells, dtype=np.int32), region)
        dx = ufl.Measure("dx", domain=msh, subdomain_data=tags, metadata={"quadrature_degree": 2 * degree + 4})
        self.dx, self.n_regions = dx, len(names)

        W = fem.functionspace(msh, ("DG", 0))
        eps_rest = fem.Function(W)
        vals = np.array([n * n for n in index])[region]
        vals[region == g_id] = 0.0
        eps_rest.x.array[W.dofmap.list[:, 0]] = vals
        x = ufl.SpatialCoordinate(msh)
        u_ = (x[0] - xc * s) / s                  # m from the ridge centre
        if grating.lattice == "lines":
            share = ufl.conditional(ufl.lt(abs(u_), r), 1.0, 0.0)
        else:
            share = 2 * ufl.sqrt(ufl.max_value(r * r - u_ * u_, 0.0)) / L
        eps_g = grating.n_gap ** 2 + grating.contrast * share
        chi = fem.Function(W)
        chi.x.array[W.dofmap.list[:, 0]] = (region == g_id).astype(float)
        eps = eps_rest + chi * eps_g

        V = fem.functionspace(msh, ("Lagrange", degree))
        self.V = V
        e, v = ufl.TrialFunction(V), ufl.TestFunction(V)
        if polarization == "TE":
            a, b = ufl.inner(ufl.grad(e), ufl.grad(v)) * dx, eps * e * v * dx
        else:
            a, b = ufl.inner(ufl.grad(e), ufl.grad(v)) / eps * dx, e * v * dx
        self.A = compat.assemble_matrix(fem.form(a))
        self.B = compat.assemble_matrix(fem.form(b))
        self.P, self.dofs = self._prolongation(order % 2 == 1)
        self.Ar, self.Br = self.A.PtAP(self.P), self.B.PtAP(self.P)

        # measures of one field u: energy per region, and its projection on the Bragg harmonic
        self.u = fem.Function(V)
        u = self.u
        w = eps if polarization == "TE" else 1.0
        h = order / 2.0                           # the Bragg wave's harmonic (x in units of 1/K)
        c, sn = ufl.cos(h * (x[0] - xc * s)), ufl.sin(h * (x[0] - xc * s))
        stack = tuple(range(1, len(names) - 1))
        self.energy = [fem.form(w * u * u * dx(i)) for i in range(len(names))]
        self.field2 = [fem.form(u * u * dx(i)) for i in range(len(names))]
        self.proj = [fem.form(u * q * dx(stack)) for q in (c, sn, 1.0)]
        self.norms = [comm.allreduce(fem.assemble_scalar(fem.form(q * q * dx(stack))), op=MPI.SUM)
                      for q in (c, sn)]
        self.stack_field = fem.form(u * u * dx(stack))
        # the windows' outer halves: a guided mode has nothing there
        z0, z1 = z_nodes[0], z_nodes[-1]
        far = ufl.conditional(ufl.Or(ufl.lt(x[1], 0.5 * z0 * s), ufl.gt(x[1], (tops[-1] + 0.5 * (z1 - tops[-1])) * s)),
                              1.0, 0.0)
        self.outside = fem.form(far * w * u * u * dx)

    def _prolongation(self, anti):
        """P: reduced (periodic, Dirichlet-free) unknowns → full dofs, distributed by rows."""
        from mpi4py import MPI
        from petsc4py import PETSc

        comm, V = self.comm, self.V
        imap = V.dofmap.index_map
        n_own, r0 = imap.size_local, imap.local_range[0]
        X = V.tabulate_dof_coordinates()[:n_own, :2]
        x0, x1, z0, z1 = self.box
        tol = 1e-9 * max(x1 - x0, z1 - z0)
        left, right = np.abs(X[:, 0] - x0) < tol, np.abs(X[:, 0] - x1) < tol
        wall = (np.abs(X[:, 1] - z0) < tol) | (np.abs(X[:, 1] - z1) < tol)
        keep = ~right & ~wall
        n_keep = int(keep.sum())
        offset = comm.exscan(n_keep) or 0
        n_total = comm.allreduce(n_keep, op=MPI.SUM)
        red = np.full(n_own, -1, dtype=np.int64)
        red[keep] = offset + np.arange(n_keep)
        mast = left & ~wall
        zs = np.concatenate(comm.allgather(X[mast, 1]))
        ids = np.concatenate(comm.allgather(red[mast]))
        order = np.argsort(zs)
        zs, ids = zs[order], ids[order]
        slave = right & ~wall
        zq = X[slave, 1]
        pos = np.clip(np.searchsorted(zs, zq), 1, len(zs) - 1)
        pick = np.where(np.abs(zs[pos - 1] - zq) <= np.abs(zs[pos] - zq), pos - 1, pos)
        if len(zq) and np.max(np.abs(zs[pick] - zq)) > tol:
            raise RuntimeError("periodic walls: a right-wall dof has no left partner (mesh not periodic)")
        cols = red.copy()
        cols[slave] = ids[pick]
        vals = np.where(slave, -1.0 if anti else 1.0, 1.0)
        has = cols >= 0
        indptr = np.concatenate([[0], np.cumsum(has)]).astype(PETSc.IntType)
        P = PETSc.Mat().createAIJ(size=((n_own, imap.size_global), (n_keep, n_total)),
                                  csr=(indptr, cols[has].astype(PETSc.IntType), vals[has]), comm=comm)
        P.assemble()
        return P, n_total

    def solve(self, nev, target, tol, check_tol):
        """Eigenpairs (as BandModes) of the periodic cell nearest μ = ``target``."""
        from slepc4py import SLEPc

        E = shift_invert(self.comm, self.Ar, self.Br, SLEPc.EPS.ProblemType.GHEP, nev, tol, target)
        E.solve()
        xr = self.Ar.createVecRight()
        out = []
        for i in range(E.getConverged()):
            mu = E.getEigenpair(i, xr).real
            err = E.computeError(i, SLEPc.EPS.ErrorType.RELATIVE)
            if mu <= 0 or err > check_tol:
                continue
            self.P.mult(xr, self.u.x.petsc_vec)
            self.u.x.scatter_forward()
            m = self._measure(self.grating.period / math.sqrt(mu), err)
            a = self.u.x.array
            own = a[:self.V.dofmap.index_map.size_local]
            peaks = self.comm.allgather(float(own[np.argmax(np.abs(own))]) if len(own) else 0.0)
            m.values = a / max(peaks, key=abs)          # max |.| = 1, positive there
            out.append(m)
        E.destroy()
        xr.destroy()
        return out

    def _measure(self, wavelength, residual):
        from dolfinx import fem
        from mpi4py import MPI

        comm = self.comm
        local = np.array([fem.assemble_scalar(f) for f in self.energy + self.field2 + self.proj]
                         + [fem.assemble_scalar(self.stack_field), fem.assemble_scalar(self.outside)])
        tot = comm.allreduce(local, op=MPI.SUM)
        nr = self.n_regions
        energy, field2 = tot[:nr], tot[nr:2 * nr]
        c, s, zero, stack2, outside = tot[2 * nr:]
        share_c, share_s = c * c / (stack2 * self.norms[0]), s * s / (stack2 * self.norms[1])
        parity = "symmetric" if share_c >= share_s else "antisymmetric"
        return BandMode(wavelength, parity, parity == "symmetric" and self.order % 2 == 0,
                        float(energy[1:-1].sum() / energy.sum()), float(max(share_c, share_s)),
                        float(outside / energy.sum()),
                        {n: float(field2[i] / field2.sum()) for i, n in enumerate(self.names)}, float(residual))
