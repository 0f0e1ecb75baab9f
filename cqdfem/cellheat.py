"""Effective thermal conductivity of a pillar layer from its resolved 3D unit cell.

One period Λ × Λ of a square lattice of cylinders (diameter d, conductivity k_p) in a host (k_h),
thickness t, meshed by gmsh (OCC, second-order geometry: the cylinder wall is curved, not faceted)
and solved for steady heat with quadratic elements. The cell's side walls are mirror planes of the
infinite array, so insulated walls there are exact, not an approximation.

- **Cross-plane**, in situ: the layer between slabs of its neighbours (the stack's layers within
  ``reach`` of it, default one period), T = 1 at the bottom and 0 at the top. The heat flow Q
  comes from the energy, Q ΔT = ∫ k |∇T|² (the variationally consistent flux). Subtracting the
  neighbours' own series resistances gives the layer's k_z *including* the constriction of heat
  into the better-conducting columns, which a 1D effective medium cannot see; with no neighbours
  it is the parallel (column) mixing exactly.
- **In-plane**: the layer alone, T = 1 on x = 0 and 0 on x = Λ, everything else insulated.

The effective medium of :func:`cqdfem.materials.effective_medium` uses parallel mixing across the
layer and the mean of the series and parallel bounds in-plane; Rayleigh's formula for a square
array of cylinders (the classical closed form, dilute and moderate fractions) is given beside it.
"""

import dataclasses
import math

import numpy as np

from . import compat
from .mesh import on_root

UM = 1e-6         # the gmsh model is built in micrometres (well-scaled tolerances)


@dataclasses.dataclass(frozen=True)
class Cell:
    period: float                 # m
    diameter: float               # m
    thickness: float              # m, the pillar layer
    k_pillar: float               # W/m/K
    k_host: float
    below: tuple = ()             # ((thickness m, k W/m/K), ...) from the layer downwards
    above: tuple = ()             # ((thickness m, k), ...) from the layer upwards

    @property
    def fraction(self):
        return math.pi * self.diameter ** 2 / (4 * self.period ** 2)


def rayleigh(fraction, k_pillar, k_host):
    """Rayleigh (1892) for a square array of cylinders, in-plane, to the f⁴ term:
    k/k_h = 1 + 2βf / (1 − βf − 0.3058 β² f⁴), β = (k_p − k_h)/(k_p + k_h)."""
    b = (k_pillar - k_host) / (k_pillar + k_host)
    return k_host * (1 + 2 * b * fraction / (1 - b * fraction - 0.3058 * b * b * fraction ** 4))


def effective_medium(fraction, k_pillar, k_host):
    """(in-plane, cross-plane) of the package's effective medium (cqdfem.materials.effective_medium)."""
    par = fraction * k_pillar + (1 - fraction) * k_host
    ser = 1.0 / (fraction / k_pillar + (1 - fraction) / k_host)
    return 0.5 * (par + ser), par


def from_geometry(geometry, reach=None):
    """The :class:`Cell` of the geometry's pillar layer with its neighbours within ``reach`` (m,
    default one period) above and below."""
    layers = list(geometry.layers)
    i = next((j for j, l in enumerate(layers) if l.pillars is not None), None)
    if i is None:
        raise ValueError("the geometry has no layer with pillars")
    lay, p = layers[i], layers[i].pillars
    reach = reach or p.period

    def side(seq):
        out, left = [], reach
        for l in seq:
            if left <= 0:
                break
            t = min(l.thickness, left)
            out.append((t, _k_cross(l)))
            left -= t
        return tuple(out)

    for m in (lay.material, p.fill):
        if not m.conductivity:
            raise ValueError(f"material {m.name!r} of the pillar layer has no conductivity")
    return Cell(p.period, p.diameter, lay.thickness, lay.material.conductivity[1], p.fill.conductivity[1],
                side(reversed(layers[:i])), side(layers[i + 1:]))


def compare(cell, cells=6, comm=None):
    """The resolved cell against the effective medium: JSON-ready, relative differences
    (effective / resolved − 1). A cell without contrast is its own effective medium (no solve)."""
    em_in, em_cross = effective_medium(cell.fraction, cell.k_pillar, cell.k_host)
    out = {"fill_fraction": cell.fraction, "k_pillar_W_mK": cell.k_pillar, "k_host_W_mK": cell.k_host,
           "effective_medium": {"in_plane_W_mK": em_in, "cross_plane_W_mK": em_cross},
           "rayleigh_in_plane_W_mK": rayleigh(cell.fraction, cell.k_pillar, cell.k_host),
           "neighbours_m_W_mK": {"below": [list(x) for x in cell.below], "above": [list(x) for x in cell.above]},
           "method": "3D unit cell (gmsh, P2), mirror-plane side walls; cross-plane in situ between the neighbours "
                     "within one period, minus their series resistance"}
    if cell.k_pillar == cell.k_host:
        res = {"in_plane_W_mK": cell.k_host, "cross_plane_W_mK": cell.k_host, "cross_plane_alone_W_mK": cell.k_host,
               "dofs": 0}
        out["note"] = "no conductivity contrast: the effective medium is exact (no solve)"
    else:
        res = conductivity(cell, cells=cells, comm=comm)
    out["resolved"] = res
    out["difference"] = {"in_plane": em_in / res["in_plane_W_mK"] - 1,
                         "cross_plane": em_cross / res["cross_plane_W_mK"] - 1}
    return out


def _k_cross(layer):
    m = layer.homogenised()
    if not m.conductivity:
        raise ValueError(f"material {m.name!r} of layer {layer.name!r} has no conductivity")
    return m.conductivity[1]


def conductivity(cell, cells=6, degree=2, comm=None):
    """{"in_plane_W_mK", "cross_plane_W_mK", "cross_plane_alone_W_mK", "dofs", ...} of the resolved
    cell; ``cells``: elements across one pillar diameter."""
    from mpi4py import MPI

    comm = comm or MPI.COMM_WORLD
    out = {}
    # cross-plane with the neighbours, and alone (a check: parallel mixing exactly)
    R_total, dofs = _solve(cell, _mesh(cell, cells, comm, with_neighbours=True), "z", degree, comm)
    R_nb = sum(t / k for t, k in cell.below + cell.above)
    out["cross_plane_W_mK"] = cell.thickness / (R_total - R_nb)
    alone = _mesh(cell, cells, comm, with_neighbours=False)      # one mesh for both directions
    R_alone, _ = _solve(cell, alone, "z", degree, comm)
    out["cross_plane_alone_W_mK"] = cell.thickness / R_alone
    R_x, _ = _solve(cell, alone, "x", degree, comm)
    out["in_plane_W_mK"] = 1.0 / R_x                   # unit cross-section per unit length (see _solve)
    out["dofs"] = dofs
    return out


def _solve(cell, meshed, direction, degree, comm):
    """Resistance of the cell (K/W per m² of cell face, per m of length): 1/(k_eff) scaled so that
    cross-plane R = Σ t/k and in-plane R = 1/k."""
    import ufl
    from dolfinx import fem
    from mpi4py import MPI
    from petsc4py import PETSc

    msh, tags, facets, kvals, z0, z1 = meshed
    V = fem.functionspace(msh, ("Lagrange", degree))
    W = fem.functionspace(msh, ("DG", 0))
    k = fem.Function(W)
    order = np.argsort(tags.indices)
    cell_ids, cell_tag = tags.indices[order], tags.values[order]
    k.x.array[W.dofmap.list[cell_ids, 0]] = kvals[cell_tag]
    k.x.scatter_forward()
    lo, hi = ("bottom", "top") if direction == "z" else ("left", "right")
    fdim = msh.topology.dim - 1
    bcs = []
    for name, value in ((lo, 1.0), (hi, 0.0)):
        dofs = fem.locate_dofs_topological(V, fdim, facets.find(_FACET[name]))
        bcs.append(fem.dirichletbc(PETSc.ScalarType(value), dofs, V))
    u, v = ufl.TrialFunction(V), ufl.TestFunction(V)
    a = k * ufl.inner(ufl.grad(u), ufl.grad(v)) * ufl.dx
    L = fem.Constant(msh, PETSc.ScalarType(0.0)) * v * ufl.dx
    problem = compat.linear_problem(a, L, bcs, {"ksp_type": "cg", "pc_type": "hypre", "pc_hypre_type": "boomeramg",
                                               "ksp_rtol": 1e-12}, prefix="cqdfem_cell_")
    T = problem.solve()
    energy = comm.allreduce(fem.assemble_scalar(fem.form(k * ufl.inner(ufl.grad(T), ufl.grad(T)) * ufl.dx)),
                            op=MPI.SUM)
    L_cell = cell.period
    area = L_cell * L_cell if direction == "z" else L_cell * cell.thickness
    length = (z1 - z0) if direction == "z" else L_cell
    q = energy / area                                  # W/m² per kelvin of ΔT = 1
    dofs = V.dofmap.index_map.size_global
    if direction == "z":
        return 1.0 / q, dofs                           # Σ t/k
    return 1.0 / (q * length), dofs                    # 1/k


_FACET = {"bottom": 1, "top": 2, "left": 3, "right": 4}


def _mesh(cell, cells, comm, with_neighbours):
    """(mesh in m, cell tags, facet tags, k per tag, z bottom, z top); built on rank 0."""
    import dolfinx  # noqa: F401  (model_to_mesh)

    L, r, t = cell.period / UM, cell.diameter / 2 / UM, cell.thickness / UM
    below = cell.below if with_neighbours else ()
    above = cell.above if with_neighbours else ()
    z_lo = -sum(h for h, _ in below) / UM
    slabs, z = [], z_lo
    for h, kk in reversed(below):
        slabs.append((z, h / UM, kk))
        z += h / UM
    z_layer = z
    z = z_layer + t
    for h, kk in above:
        slabs.append((z, h / UM, kk))
        z += h / UM
    z_hi = z
    kvals = np.array([0.0, cell.k_pillar, cell.k_host] + [kk for _, _, kk in slabs])

    def build():        # rank 0, inside the gmsh session opened below
        occ = gmsh.model.occ
        gmsh.model.add("cell")
        pillar = occ.addCylinder(L / 2, L / 2, z_layer, 0, 0, t, r)
        host = occ.addBox(0, 0, z_layer, L, L, t)
        boxes = [occ.addBox(0, 0, z0, L, L, h) for z0, h, _ in slabs]
        out, children = occ.fragment([(3, host)], [(3, pillar)] + [(3, b) for b in boxes])
        occ.synchronize()
        # after the fragment: host → host minus pillar (and the pillar); slabs unchanged
        vols = [e[1] for e in out if e[0] == 3]
        groups = {1: [], 2: []}
        for vtag in vols:
            com = gmsh.model.occ.getCenterOfMass(3, vtag)
            zc = com[2]
            if z_layer < zc < z_layer + t:
                xmin, ymin, _, xmax, ymax, _ = gmsh.model.getBoundingBox(3, vtag)
                groups[1 if (xmax - xmin) < L * 0.999 else 2].append(vtag)
            else:
                j = next(i for i, (z0, h, _) in enumerate(slabs) if z0 < zc < z0 + h)
                groups.setdefault(3 + j, []).append(vtag)
        for tag, vs in groups.items():
            gmsh.model.addPhysicalGroup(3, vs, tag)
        eps = 1e-6 * L
        def faces(x0, y0, z0_, x1, y1, z1_):
            return [e[1] for e in gmsh.model.getEntitiesInBoundingBox(x0 - eps, y0 - eps, z0_ - eps,
                                                                      x1 + eps, y1 + eps, z1_ + eps, 2)]
        gmsh.model.addPhysicalGroup(2, faces(0, 0, z_lo, L, L, z_lo), _FACET["bottom"])
        gmsh.model.addPhysicalGroup(2, faces(0, 0, z_hi, L, L, z_hi), _FACET["top"])
        gmsh.model.addPhysicalGroup(2, faces(0, 0, z_lo, 0, L, z_hi), _FACET["left"])
        gmsh.model.addPhysicalGroup(2, faces(L, 0, z_lo, L, L, z_hi), _FACET["right"])
        h = 2 * r / cells
        gmsh.option.setNumber("Mesh.CharacteristicLengthMax", h)
        gmsh.option.setNumber("Mesh.CharacteristicLengthMin", h / 4)
        gmsh.model.mesh.generate(3)
        gmsh.model.mesh.setOrder(2)

    gmsh = None
    try:
        if comm.rank == 0:
            gmsh = compat.gmsh_session_start()
        on_root(comm, build, "meshing the pillar cell")
        msh, tags, facets = compat.model_to_mesh(gmsh.model if gmsh else None, comm, 0, gdim=3)
    finally:
        compat.gmsh_session_end(gmsh)
    msh.geometry.x[:] *= UM
    return msh, tags, facets, kvals, z_lo * UM, z_hi * UM
