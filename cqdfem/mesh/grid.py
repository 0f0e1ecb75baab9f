"""Layered stacks as graded, layer-conforming meshes built in gmsh.

A film stack is thin vertically (100 nm film on a 1 mm substrate) and wide laterally (a 50 µm spot),
so isotropic cells cannot resolve it: a 30 nm cell everywhere in a 3D block is 1e10 cells. Instead
every layer is an extrusion of one lateral mesh: the lateral mesh (1D in x or r for 2D models, a gmsh
triangulation of the x-y plane for 3D) resolves the spot edge and the DFB pillars, and the vertical
node distribution gives every layer its minimum cell count and grows geometrically away from thin
layers. Prisms are split into tetrahedra and quads into triangles with a rule that only depends on
global vertex numbers, so neighbouring cells always agree on shared faces.

All lengths inside this module are micrometres: OCC's tolerance is 1e-7 model units, so a 100 nm
layer drawn in metres would break its boolean operations. :func:`build` returns SI-free data; the
caller (``cqdfem.mesh``) scales to metres.
"""

import dataclasses
import functools
import math

import numpy as np

from cqdfem import compat
from cqdfem.errors import InputError

UM = 1e-6  # metres per model unit
MAX_PILLARS_3D = 20000


@dataclasses.dataclass
class StackGrid:
    """A mesh in model units (µm) with cells grouped by region and boundary facets by role."""
    dim: int
    points: np.ndarray                 # (n, 3)
    cell_type: str                     # "line" | "triangle" | "tetra"
    regions: dict                      # region name -> (m, k) int array of point indices
    boundaries: dict                   # role -> (m, k-1) int array (points for 1D)
    region_layer: dict                 # region name -> layer name
    region_material: dict              # region name -> Material
    layer_cells: dict                  # layer name -> cells through its thickness
    axisymmetric: bool = False


# --- vertical and lateral node distributions -----------------------------------------------------


def graded_nodes(a, b, size, min_cells):
    """Nodes on [a, b] equidistributing 1/size(x): cell sizes follow ``size`` (never more than it).

    ``size`` is a vectorised function of position. The cell count is the integral of dx/size,
    rounded up, and at least ``min_cells``.
    """
    s, cum = _size_integral(a, b, size)
    n = max(int(min_cells), int(math.ceil(cum[-1] - 1e-9)))
    nodes = np.interp(np.linspace(0, cum[-1], n + 1), cum, s)
    nodes[0], nodes[-1] = a, b
    return nodes


def _size_integral(a, b, size):
    """Sample points of [a, b] and the running integral of dx/size there (the cell count so far)."""
    length = b - a
    t = _unit_samples()
    s = np.unique(np.concatenate([a + t * length, b - t * length]))
    h = size(s)
    if np.any(h <= 0):
        raise ValueError("mesh size must be positive")
    return s, np.concatenate([[0.0], np.cumsum(np.diff(s) * 0.5 * (1 / h[1:] + 1 / h[:-1]))])


@functools.lru_cache(maxsize=1)
def _unit_samples():
    # Dense sampling of [0, 1], geometric from both ends, resolves sizes that vary over five decades.
    t = np.unique(np.concatenate([np.geomspace(1e-9, 0.5, 2000), np.linspace(0, 1, 2001)]))
    t.flags.writeable = False
    return t


def cell_count(a, b, size, min_cells):
    """How many cells :func:`graded_nodes` would make (without making them)."""
    total = _size_integral(a, b, size)[1][-1]
    return max(float(min_cells), math.ceil(total - 1e-9)) if total < 1e15 else math.inf


def _interval_distance(x, lo, hi):
    return np.maximum(np.maximum(lo - x, x - hi), 0.0)


def vertical_nodes(geometry):
    """Node heights (µm) through the stack and the number of cells in each layer.

    The size field grows as h0 + ln(g)·d away from each layer (h0 = its thickness over its minimum
    cell count); equidistributing 1/h then makes neighbouring cells differ by the ratio g.
    """
    opts = geometry.mesh
    layers, size = _vertical_size(geometry)
    nodes, counts = [0.0], {}
    for layer, (lo, hi, _) in zip(geometry.layers, layers):
        n_min = opts.film_cells if layer.active else opts.min_cells
        z = graded_nodes(lo, hi, size, n_min)
        counts[layer.name] = len(z) - 1
        nodes.extend(z[1:])
    nodes = np.array(nodes)
    nodes[-1] = geometry.thickness / UM
    return nodes, counts


def _vertical_size(geometry):
    opts = geometry.mesh
    g = opts.growth
    layers = [(l.z0 / UM, l.z1 / UM, l.thickness / UM / (opts.film_cells if l.active else opts.min_cells))
              for l in geometry.layers]
    h_max = _max_cell(geometry)

    def size(z):
        h = np.full_like(z, h_max)
        for lo, hi, h0 in layers:
            h = np.minimum(h, h0 + math.log(g) * _interval_distance(z, lo, hi))
        return h
    return layers, size


def estimate_cells(geometry):
    """Roughly how many cells :func:`build` makes (an upper estimate for 3D), without building:
    ``check`` refuses a model that would run for ever before anything is allocated."""
    opts = geometry.mesh
    layers, size = _vertical_size(geometry)
    vertical = sum(cell_count(lo, hi, size, opts.film_cells if l.active else opts.min_cells)
                   for l, (lo, hi, _) in zip(geometry.layers, layers))
    if opts.dimension == 1:
        return float(vertical)
    lateral = [_lateral_count(geometry, geometry.width)]
    if opts.dimension == 3:
        lateral.append(_lateral_count(geometry, geometry.depth))
        pillars = next((l.pillars for l in geometry.layers if l.pillars is not None), None)
        if pillars is not None:
            n = (len(_pillar_centres_1d(pillars, 0.0 if geometry.symmetric else -geometry.width / 2 / UM,
                                        geometry.width / 2 / UM))
                 * len(_pillar_centres_1d(pillars, 0.0 if geometry.symmetric else -geometry.depth / 2 / UM,
                                          geometry.depth / 2 / UM)))
            if n > MAX_PILLARS_3D:
                raise InputError(f"{n} pillars in a 3D model: reduce domain.width/depth "
                                 "(3D pillar arrays are meant for small domains)", "domain.width")
        return float(vertical) * 2 * lateral[0] * lateral[1] * 3      # triangles x layers, 3 tetrahedra a prism
    return float(vertical) * lateral[0] * 2


def _lateral_count(geometry, extent):
    """Cells along one lateral direction of ``extent`` (m) with the spot and pillar refinement."""
    h_spot, h_pillar, g, h_max = _lateral_sizes(geometry)
    half = extent / 2 / UM
    lo = 0.0 if geometry.symmetric or geometry.mesh.coordinates == "axisymmetric" else -half
    spot = geometry.spot()
    edges = []
    if spot is not None:
        s = (spot[1] if spot[0] == "disc" else min(spot[1])) / 2 / UM
        edges = [s] + ([-s] if lo < 0 else [])
    pillars = next((l.pillars for l in geometry.layers if l.pillars is not None), None)

    def size(x):
        h = np.full_like(x, h_max)
        for e in edges:
            h = np.minimum(h, h_spot + math.log(g) * np.abs(x - e))
        if pillars is not None:
            h = np.minimum(h, h_pillar)
        return h
    return cell_count(lo, half, size, 1)


def _max_cell(geometry):
    if geometry.mesh.max_cell is not None:
        return geometry.mesh.max_cell / UM
    extent = max([geometry.thickness] + [w for w in (geometry.width, geometry.depth) if w])
    return extent / UM / 8


def _lateral_sizes(geometry):
    """(spot edge size, pillar size, growth, max) for the lateral mesh, µm."""
    opts = geometry.mesh
    spot = geometry.spot()
    h_spot = None
    if spot is not None:
        half = (spot[1] if spot[0] == "disc" else min(spot[1])) / 2 / UM
        h_spot = half / opts.spot_cells
    pillared = [l.pillars for l in geometry.layers if l.pillars is not None]
    h_pillar = min(p.diameter for p in pillared) / UM / opts.pillar_cells if pillared else None
    return h_spot, h_pillar, opts.growth, _max_cell(geometry)


def _pillar_centres_1d(pillars, lo, hi):
    """Pillar centres i·Λ (µm) whose pillar lies inside [lo, hi] or is cut only by lo == 0."""
    period, radius = pillars.period / UM, pillars.diameter / UM / 2
    first, last = math.ceil((lo - radius) / period), math.floor((hi - radius) / period)
    centres = [i * period for i in range(first, last + 1)]
    return [c for c in centres if c - radius >= lo - 1e-9 or abs(lo) < 1e-12]


def lateral_nodes(geometry):
    """x (or r) nodes for a 2D model and the class ("spot", "pillar") flags of each segment."""
    half = geometry.width / 2 / UM
    lo = 0.0 if geometry.symmetric or geometry.mesh.coordinates == "axisymmetric" else -half
    h_spot, h_pillar, g, h_max = _lateral_sizes(geometry)
    spot = geometry.spot()
    breaks = {lo, half}
    edges = []
    if spot is not None:
        s = (spot[1] if spot[0] == "disc" else spot[1][0]) / 2 / UM
        edges = [s] + ([-s] if lo < 0 else [])
        breaks.update(edges)
    pillars = next((l.pillars for l in geometry.layers if l.pillars is not None), None)
    centres = []
    if pillars is not None:
        r = pillars.diameter / UM / 2
        centres = _pillar_centres_1d(pillars, lo, half)
        for c in centres:
            breaks.update(x for x in (c - r, c + r) if lo <= x <= half)

    def size(x):
        h = np.full_like(x, h_max)
        for e in edges:
            h = np.minimum(h, h_spot + math.log(g) * np.abs(x - e))
        if centres:
            span = (centres[0] - r, centres[-1] + r)
            h = np.minimum(h, h_pillar + math.log(g) * _interval_distance(x, *span))
        return h

    b = sorted(breaks)
    xs = [b[0]]
    for a, c in zip(b[:-1], b[1:]):
        xs.extend(graded_nodes(a, c, size, 1)[1:])
    xs = np.array(xs)
    mid = 0.5 * (xs[1:] + xs[:-1])
    in_spot = np.zeros(len(mid), bool)
    if spot is not None:
        in_spot = np.abs(mid) < edges[0]
    in_pillar = np.zeros(len(mid), bool)
    if pillars is not None:
        for c in centres:
            in_pillar |= np.abs(mid - c) < r
    return xs, in_spot, in_pillar


def lateral_mesh_3d(geometry):
    """Triangulate the x-y plane with gmsh (OCC): spot and pillars conforming, graded sizes.

    Returns (points (n, 2), triangles (m, 3), in_spot (m,), in_pillar (m,), boundary edges by role).
    Must run on one rank with gmsh initialised.
    """
    import gmsh

    occ = gmsh.model.occ
    hx, hy = geometry.width / 2 / UM, geometry.depth / 2 / UM
    x0, y0 = (0.0, 0.0) if geometry.symmetric else (-hx, -hy)
    h_spot, h_pillar, g, h_max = _lateral_sizes(geometry)
    gmsh.model.add("lateral")
    domain = occ.addRectangle(x0, y0, 0, hx - x0, hy - y0)
    tools = []
    spot = geometry.spot()
    if spot is not None:
        if spot[0] == "disc":
            rs = spot[1] / 2 / UM
            tools.append(occ.addDisk(0, 0, 0, rs, rs))
        else:
            sx, sy = spot[1][0] / 2 / UM, spot[1][1] / 2 / UM
            tools.append(occ.addRectangle(-sx, -sy, 0, 2 * sx, 2 * sy))
    pillars = next((l.pillars for l in geometry.layers if l.pillars is not None), None)
    pillar_disks = []
    if pillars is not None:
        r = pillars.diameter / UM / 2
        cx = _pillar_centres_1d(pillars, x0, hx)
        cy = _pillar_centres_1d(pillars, y0, hy)
        if len(cx) * len(cy) > MAX_PILLARS_3D:
            raise InputError(f"{len(cx) * len(cy)} pillars in a 3D model: reduce domain.width/depth "
                             "(3D pillar arrays are meant for small domains)", "domain.width")
        for px in cx:
            for py in cy:
                pillar_disks.append(occ.addDisk(px, py, 0, r, r))
        tools += pillar_disks
    # The fragment map says which pieces came from which input: that, not a centre of mass (which
    # can fall outside a non-convex piece), classifies them.
    spot_pieces, pillar_pieces = set(), set()
    if tools:
        _, pieces = occ.fragment([(2, domain)], [(2, t) for t in tools])
        keep = set(pieces[0])
        if spot is not None:
            spot_pieces = set(pieces[1]) & keep
        for p in pieces[1 + (spot is not None):]:
            pillar_pieces |= set(p) & keep
        # Tools stick out across symmetry planes and sides: drop what is not part of the domain.
        occ.synchronize()
        drop = [e for e in gmsh.model.getEntities(2) if e not in keep]
        if drop:
            occ.remove(drop, recursive=True)
    occ.synchronize()
    eps = 1e-7 * max(hx, hy)

    # Sizes: linear growth from the spot edge, fine in the pillar array, capped.
    fields = []
    if spot is not None:
        outline = gmsh.model.getBoundary(sorted(spot_pieces), combined=True, oriented=False)
        edge_curves = []
        for dim, tag in outline:
            xmin, ymin, _, xmax, ymax, _ = gmsh.model.getBoundingBox(dim, abs(tag))
            on_x = xmax - xmin < eps and (abs(xmin - x0) < eps or abs(xmin - hx) < eps)
            on_y = ymax - ymin < eps and (abs(ymin - y0) < eps or abs(ymin - hy) < eps)
            if not (on_x or on_y):
                edge_curves.append(abs(tag))
        f = gmsh.model.mesh.field.add("Distance")
        gmsh.model.mesh.field.setNumbers(f, "CurvesList", edge_curves)
        gmsh.model.mesh.field.setNumber(f, "Sampling", 400)
        m = gmsh.model.mesh.field.add("MathEval")
        gmsh.model.mesh.field.setString(m, "F", f"{h_spot} + {math.log(g)}*F{f}")
        fields.append(m)
    if pillar_disks:
        b = gmsh.model.mesh.field.add("Box")
        gmsh.model.mesh.field.setNumber(b, "VIn", h_pillar)
        gmsh.model.mesh.field.setNumber(b, "VOut", h_max)
        gmsh.model.mesh.field.setNumber(b, "XMin", min(cx) - r)
        gmsh.model.mesh.field.setNumber(b, "XMax", max(cx) + r)
        gmsh.model.mesh.field.setNumber(b, "YMin", min(cy) - r)
        gmsh.model.mesh.field.setNumber(b, "YMax", max(cy) + r)
        gmsh.model.mesh.field.setNumber(b, "ZMin", -1)
        gmsh.model.mesh.field.setNumber(b, "ZMax", 1)
        gmsh.model.mesh.field.setNumber(b, "Thickness", 0)
        fields.append(b)
    c = gmsh.model.mesh.field.add("Constant")
    gmsh.model.mesh.field.setNumber(c, "VIn", h_max)
    fields.append(c)
    mn = gmsh.model.mesh.field.add("Min")
    gmsh.model.mesh.field.setNumbers(mn, "FieldsList", fields)
    gmsh.model.mesh.field.setAsBackgroundMesh(mn)
    for opt, val in (("Mesh.MeshSizeExtendFromBoundary", 0), ("Mesh.MeshSizeFromPoints", 0),
                     ("Mesh.MeshSizeFromCurvature", 0), ("Mesh.Algorithm", 6)):
        gmsh.option.setNumber(opt, val)
    gmsh.model.mesh.generate(2)

    tags, coords, _ = gmsh.model.mesh.getNodes()
    index = np.full(int(tags.max()) + 1, -1, dtype=np.int64)
    index[tags.astype(np.int64)] = np.arange(len(tags))
    points = coords.reshape(-1, 3)[:, :2]
    tris, spot_flags, pillar_flags = [], [], []
    for dim, tag in gmsh.model.getEntities(2):
        types, _, nodes = gmsh.model.mesh.getElements(dim, tag)
        for t, n in zip(types, nodes):
            if t != 2:
                raise RuntimeError(f"unexpected lateral element type {t}")
            tri = index[n.astype(np.int64)].reshape(-1, 3)
            tris.append(tri)
            spot_flags.append(np.full(len(tri), (dim, tag) in spot_pieces))
            pillar_flags.append(np.full(len(tri), (dim, tag) in pillar_pieces))
    gmsh.model.remove()
    tris = np.concatenate(tris)
    # Boundary edges: edges used by one triangle; role from their position.
    edges = np.sort(np.concatenate([tris[:, [0, 1]], tris[:, [1, 2]], tris[:, [2, 0]]]), axis=1)
    uniq, counts = np.unique(edges, axis=0, return_counts=True)
    bnd = uniq[counts == 1]
    mid = 0.5 * (points[bnd[:, 0]] + points[bnd[:, 1]])
    tol = 1e-9 * max(hx, hy)
    sym = (np.abs(mid[:, 0] - x0) < tol) | (np.abs(mid[:, 1] - y0) < tol)
    roles = {"symmetry": bnd[sym], "side": bnd[~sym]} if geometry.symmetric else {"side": bnd}
    return points, tris, np.concatenate(spot_flags), np.concatenate(pillar_flags), roles


# --- assembling the extruded stack ---------------------------------------------------------------


def region_name(layer, in_spot, in_pillar):
    """Atomic region of a cell: ``film.spot``/``film.outside``, ``grating.pillars``/``grating.fill``."""
    if layer.active:
        return f"{layer.name}.spot" if in_spot else f"{layer.name}.outside"
    if layer.pillars is not None:
        return f"{layer.name}.pillars" if in_pillar else f"{layer.name}.fill"
    return layer.name


def region_material(layer, region):
    if region.endswith(".fill"):
        return layer.pillars.fill
    return layer.material


@dataclasses.dataclass
class Plan:
    """A stack mesh before it is made: one lateral mesh and the vertical nodes it is extruded along.

    The whole mesh is the lateral mesh (a point in 1D, segments in x or r in 2D, triangles in 3D)
    repeated at every node height. Global vertex ``j·n2 + i`` is lateral node ``i`` at height ``z[j]``,
    so any range of cell layers can be made on any rank from the plan alone: its memory is that of
    the lateral mesh, not of the stack.
    """
    dim: int
    z: np.ndarray                      # node heights (µm)
    layer_cells: dict                  # layer name -> cells through its thickness
    layer_of_cell: np.ndarray          # layer index of each cell layer
    lateral: np.ndarray                # (n2, dim - 1) lateral node coordinates (µm)
    cells2: np.ndarray                 # (m, dim) lateral cells, vertex numbers ascending
    in_spot: np.ndarray                # (m,) flags of the lateral cells
    in_pillar: np.ndarray
    sides: dict                        # role -> (k, dim - 1) lateral boundary facets
    names: list                        # per layer: {(in_spot, in_pillar): region name}
    region_layer: dict                 # region name -> layer name
    region_material: dict              # region name -> Material
    axisymmetric: bool = False

    cell_type = property(lambda self: ("line", "triangle", "tetra")[self.dim - 1])
    n2 = property(lambda self: len(self.lateral))
    n_layers = property(lambda self: len(self.z) - 1)

    @property
    def regions(self):
        """Region name -> tag (1, 2, ... in sorted name order, the same on every rank and run)."""
        return {name: i + 1 for i, name in enumerate(sorted(self.region_layer))}

    @property
    def boundaries(self):
        roles = ["bottom", "top", *self.sides]
        return {role: 101 + i for i, role in enumerate(sorted(roles))}

    def points(self, lo, hi):
        """Coordinates (µm, (n, 3)) of node layers lo..hi-1: global vertices lo·n2 .. hi·n2 - 1."""
        z = self.z[lo:hi]
        out = np.zeros((len(z) * self.n2, 3))
        out[:, :self.dim - 1] = np.tile(self.lateral, (len(z), 1))
        out[:, self.dim - 1] = np.repeat(z, self.n2)
        return out

    def _prisms(self, k):
        """The cells of cell layer ``k`` (global vertex numbers): ``dim`` of them per lateral cell,
        all the first ones first."""
        n2, c = self.n2, self.cells2
        if self.dim == 1:
            return np.stack([c[:, 0] + k * n2, c[:, 0] + (k + 1) * n2], 1)
        if self.dim == 2:
            a, b = c[:, 0], c[:, 1]
            a0, b0, a1, b1 = a + k * n2, b + k * n2, a + (k + 1) * n2, b + (k + 1) * n2
            # The diagonal alternates by row: every vertex then touches equal areas above and below
            # it, so a source or a heat capacity that jumps at a layer interface loads both sides
            # alike (one diagonal direction throughout put 2/3 of the load on one side at the
            # symmetry column and made a laterally uniform film up to 7 % cooler there than in 1D).
            if k % 2 == 0:
                return np.concatenate([np.stack([a0, b0, b1], 1), np.stack([a0, b1, a1], 1)])
            return np.concatenate([np.stack([a0, b0, a1], 1), np.stack([b0, b1, a1], 1)])
        # Each prism is cut by a rule on its vertices' order (a < b < c), which makes the cut of
        # every shared quad face agree. The order is reversed in odd layers so that each vertex
        # touches equal volumes above and below (the same reason as the 2D diagonals).
        a, b, cc = (c[:, 0], c[:, 1], c[:, 2]) if k % 2 == 0 else (c[:, 2], c[:, 1], c[:, 0])
        a0, b0, c0 = a + k * n2, b + k * n2, cc + k * n2
        a1, b1, c1 = a0 + n2, b0 + n2, c0 + n2
        # A quad face (p, q), p before q in that order, is cut along p0-q1 by both its prisms.
        return np.concatenate([np.stack([a0, b0, c0, c1], 1), np.stack([a0, b0, b1, c1], 1),
                               np.stack([a0, a1, b1, c1], 1)])

    def _side(self, k, e):
        """Boundary facets of cell layer ``k`` over lateral boundary facets ``e``."""
        n2 = self.n2
        if self.dim == 2:
            return np.stack([e[:, 0] + k * n2, e[:, 0] + (k + 1) * n2], 1)
        p0, q0, p1, q1 = e[:, 0] + k * n2, e[:, 1] + k * n2, e[:, 0] + (k + 1) * n2, e[:, 1] + (k + 1) * n2
        if k % 2:                 # the cut runs q0-p1 where the vertex order is reversed
            p0, q0, p1, q1 = q0, p0, q1, p1
        return np.concatenate([np.stack([p0, q0, q1], 1), np.stack([p0, q1, p1], 1)])

    def cells(self, lo, hi):
        """Region name -> cells of cell layers lo..hi-1 (global vertex numbers), regions in sorted order."""
        per = self.dim               # cells per lateral cell in a layer: 1 line, 2 triangles, 3 tetrahedra
        flags = (np.tile(self.in_spot, per), np.tile(self.in_pillar, per))
        out = {}
        for k in range(lo, hi):
            names = self.names[self.layer_of_cell[k]]
            cells = self._prisms(k)
            for (s, p), name in names.items():
                mask = (flags[0] == s) & (flags[1] == p)
                if mask.any():
                    out.setdefault(name, []).append(cells[mask])
        return {name: np.concatenate(out[name]) for name in sorted(out)}

    def facets(self, lo, hi):
        """Boundary role -> facets inside cell layers lo..hi-1 (the bottom and top where they lie)."""
        out = {}
        if lo == 0 < hi:
            out["bottom"] = self.cells2.copy()
        if lo < self.n_layers == hi:
            out["top"] = self.cells2 + self.n_layers * self.n2
        for role, e in self.sides.items():
            parts = [self._side(k, e) for k in range(lo, hi)]
            if parts:
                out[role] = np.concatenate(parts)
        return out

    def share(self, rank, size):
        """This rank's (first global vertex, points µm, cells in global vertex numbers).

        Cell layers and node layers are each split into ``size`` contiguous ranges, so every rank
        makes 1/size of the mesh and the vertices it lists are a contiguous block in rank order
        (what ``dolfinx.mesh.create_mesh`` takes as distributed input).
        """
        nodes = self.n_layers + 1
        j0, j1 = nodes * rank // size, nodes * (rank + 1) // size
        k0, k1 = self.n_layers * rank // size, self.n_layers * (rank + 1) // size
        cells = self.cells(k0, k1)
        c = np.concatenate(list(cells.values())) if cells else np.zeros((0, self.dim + 1), np.int64)
        return j0 * self.n2, self.points(j0, j1), c.astype(np.int64)

    def lateral_parts(self, parts):
        """Rank of each lateral cell: recursive coordinate bisection of their centroids into
        ``parts`` sets of equal size (each lateral cell carries the same column of cells).

        Used to distribute the mesh by columns (:meth:`destinations`): every rank then holds the
        whole depth of its share of the plane, so each rank's share of every AMG level is alike, and
        the split is the same on every run (a graph partitioner's is not).
        """
        centres = self.lateral[self.cells2].mean(axis=1)
        rank = np.zeros(len(centres), np.int32)

        def split(cells, first, n):
            if n == 1:
                rank[cells] = first
                return
            pts = centres[cells]
            axis = int(np.argmax(np.ptp(pts, axis=0)))
            order = cells[np.lexsort((cells, pts[:, axis]))]       # ties by number: same on every rank
            k = len(cells) * (n // 2) // n
            split(order[:k], first, n // 2)
            split(order[k:], first + n // 2, n - n // 2)

        split(np.arange(len(centres)), 0, parts)
        return rank

    def destinations(self, vertices, parts):
        """Destination rank of each cell given by its global vertex numbers: its lateral cell's
        part (:meth:`lateral_parts`, ``parts`` from it)."""
        lateral = _lookup(self.cells2, _distinct(np.asarray(vertices, np.int64) % self.n2, self.dim), self.n2)
        return parts[np.maximum(lateral, 0)]

    # Tags from vertex numbers alone: a cell or facet knows its layer (vertex // n2) and its lateral
    # cell or facet (the distinct vertex % n2), so every rank tags its cells after partitioning
    # without asking any other rank.

    def cell_tags(self, vertices):
        """Region tag of each cell given by its (global) vertex numbers, (n, dim + 1); 0 for a cell
        the plan does not make (never raises: callers check collectively)."""
        vertices = np.asarray(vertices, dtype=np.int64)
        k = vertices.min(axis=1) // self.n2
        spans_a_layer = (vertices.max(axis=1) // self.n2 == k + 1) & (k < self.n_layers)
        k = np.where(spans_a_layer, k, 0)
        lateral = _lookup(self.cells2, _distinct(vertices % self.n2, self.dim), self.n2)
        table = np.zeros((len(self.names), 2, 2), np.int32)
        regions = self.regions
        for i, names in enumerate(self.names):
            for (sp, pp), name in names.items():
                table[i, int(sp), int(pp)] = regions[name]
        tags = table[self.layer_of_cell[k], self.in_spot[lateral].astype(int), self.in_pillar[lateral].astype(int)]
        return np.where((lateral >= 0) & spans_a_layer, tags, 0)

    def facet_tags(self, vertices):
        """Boundary tag of each facet given by its (global) vertex numbers, (n, dim); 0 for a facet
        inside the stack (in 1D, DOLFINx counts a vertex between two ranks as exterior)."""
        vertices = np.asarray(vertices, dtype=np.int64)
        layer = vertices // self.n2
        out = np.zeros(len(vertices), np.int32)
        roles = self.boundaries
        out[np.all(layer == 0, axis=1)] = roles["bottom"]
        out[np.all(layer == self.n_layers, axis=1)] = roles["top"]
        rest = np.flatnonzero(out == 0)
        if len(rest) and self.dim > 1:
            lateral = _distinct(vertices[rest] % self.n2, self.dim - 1)
            for role, e in self.sides.items():
                found = _lookup(e, lateral, self.n2) >= 0
                out[rest[found]] = roles[role]
        return out

    def grid(self):
        """The whole mesh as a :class:`StackGrid` (one rank's memory: for writers and tests)."""
        return StackGrid(dim=self.dim, points=self.points(0, self.n_layers + 1), cell_type=self.cell_type,
                         regions=self.cells(0, self.n_layers), boundaries=self.facets(0, self.n_layers),
                         region_layer=self.region_layer, region_material=self.region_material,
                         layer_cells=self.layer_cells, axisymmetric=self.axisymmetric)


def _distinct(rows, count):
    """The ``count`` distinct values of each row, ascending; -1 filling a row with fewer."""
    rows = np.sort(rows, axis=1)
    keep = np.concatenate([np.ones((len(rows), 1), bool), np.diff(rows, axis=1) != 0], axis=1)
    out = np.full((len(rows), count), -1, np.int64)
    ok = keep.sum(axis=1) == count
    out[ok] = rows[ok][keep[ok]].reshape(-1, count)
    return out


def _lookup(table, rows, n):
    """Index in ``table`` (rows of ascending lateral vertex numbers < n) of each row, -1 if absent."""
    def key(a):
        a = np.asarray(a, dtype=np.int64)
        return sum(a[:, i] * n ** (a.shape[1] - 1 - i) for i in range(a.shape[1]))
    ref = key(np.sort(table, axis=1))
    order = np.argsort(ref)
    want = key(rows)
    pos = np.minimum(np.searchsorted(ref[order], want), len(ref) - 1)
    idx = order[pos]
    return np.where(ref[idx] == want, idx, -1)


def _tagged(parts, tags, width):
    """One (n, width) entity array and its tag values from {name: entities}."""
    if not parts:
        return np.zeros((0, width), np.int64), np.zeros(0, np.int32)
    return (np.concatenate(list(parts.values())).astype(np.int64),
            np.concatenate([np.full(len(v), tags[n], np.int32) for n, v in parts.items()]))


def plan(geometry):
    """The :class:`Plan` of ``geometry``'s stack. In 3D this meshes the lateral plane with gmsh (run
    it on one rank: ``cqdfem.mesh.create`` does, and broadcasts the plan)."""
    dim = geometry.mesh.dimension
    z, layer_cells = vertical_nodes(geometry)
    layer_of_cell = np.repeat(np.arange(len(geometry.layers)), [layer_cells[l.name] for l in geometry.layers])
    axisym = geometry.mesh.coordinates == "axisymmetric"
    if dim == 1:
        # No lateral extent: the whole film is under the spot; a pillar layer is homogenised.
        lateral, cells2 = np.zeros((1, 0)), np.zeros((1, 1), np.int64)
        in_spot, in_pillar, sides = np.ones(1, bool), np.zeros(1, bool), {}
    elif dim == 2:
        xs, in_spot, in_pillar = lateral_nodes(geometry)
        nx = len(xs)
        lateral = xs[:, None]
        cells2 = np.stack([np.arange(nx - 1), np.arange(1, nx)], 1)
        first, last = np.array([[0]]), np.array([[nx - 1]])
        if geometry.symmetric or axisym:
            sides = {"axis" if axisym else "symmetry": first, "side": last}
        else:
            sides = {"side": np.concatenate([first, last])}
    else:
        gmsh = compat.gmsh_session_start()
        try:
            lateral, cells2, in_spot, in_pillar, sides = lateral_mesh_3d(geometry)
        finally:
            compat.gmsh_session_end(gmsh)
        cells2 = np.sort(cells2, axis=1)
        sides = {role: np.sort(e, axis=1) for role, e in sides.items()}
    combos = set(zip(in_spot.tolist(), in_pillar.tolist()))
    names, region_layer, region_material_ = [], {}, {}
    for layer in geometry.layers:
        by_flags = {}
        for s, p in sorted(combos):
            name = (f"{layer.name}.spot" if layer.active else layer.name) if dim == 1 else region_name(layer, s, p)
            by_flags[(s, p)] = name
            region_layer[name] = layer.name
            region_material_[name] = layer.homogenised() if dim == 1 else region_material(layer, name)
        names.append(by_flags)
    return Plan(dim=dim, z=z, layer_cells=layer_cells, layer_of_cell=layer_of_cell, lateral=lateral,
                cells2=cells2.astype(np.int64), in_spot=in_spot, in_pillar=in_pillar, sides=sides,
                names=names, region_layer=region_layer, region_material=region_material_,
                axisymmetric=axisym)


def build(geometry):
    """The stack's whole mesh, :class:`StackGrid`, for ``geometry.mesh.dimension`` (1, 2 or 3)."""
    return plan(geometry).grid()
