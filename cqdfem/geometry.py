"""The film stack as typed, frozen objects: layers bottom to top, their materials and patterning,
the lateral domain and the meshing options. Built once from a geometry table (a file, or a case's
inline ``geometry``), or directly from Python::

    from cqdfem.geometry import Geometry
    g = Geometry.of([("substrate", "MgF2", "1 mm"), ("film", "CQD-inorganic", "120 nm", True)])
"""

import dataclasses
import math
import pathlib

from cqdfem.errors import InputError
from cqdfem.inputs import files, readers, schema
from cqdfem.materials import Library, Material, effective_medium

MIN_LAYER = 1e-9         # m: a layer thinner than a few atoms is not a continuum (nor resolvable)
MAX_CELLS = 20_000_000   # cells: a model estimated above this is refused before meshing


@dataclasses.dataclass(frozen=True)
class MeshOptions:
    """How the stack is meshed (every default of the [mesh] table lives here)."""
    dimension: int = 1                       # 1 through-thickness, 2 (cartesian | axisymmetric), 3
    coordinates: str = "cartesian"
    film_cells: int = 4                      # cells through the active film
    min_cells: int = 4                       # cells through every other layer
    growth: float = 1.3                      # cell-size ratio away from thin layers
    max_cell: float | None = None            # largest cell size, m (default: the largest extent / 8)
    spot: tuple | None = None                # rectangular pump spot (x, y) full widths, m
    spot_diameter: float | None = None       # disc pump spot, m
    spot_cells: int = 10                     # lateral cells per spot half-width at the spot edge
    pillar_cells: int = 8                    # lateral cells across one pillar diameter

    def given(self):
        """The options as a dict without unset ones (for summaries)."""
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}


@dataclasses.dataclass(frozen=True)
class Pillars:
    period: float
    diameter: float
    fill: Material

    @property
    def fill_fraction(self):
        """Area (volume) fraction of the cylinders in the layer, π d² / (4 Λ²)."""
        return math.pi * self.diameter ** 2 / (4 * self.period ** 2)


@dataclasses.dataclass(frozen=True)
class Layer:
    name: str
    material: Material
    thickness: float
    z0: float = 0.0              # bottom, m (z = 0 at the bottom of the stack)
    active: bool = False
    pillars: Pillars | None = None

    @property
    def z1(self):
        return self.z0 + self.thickness

    def homogenised(self):
        """The layer's material, with a pillar array replaced by its effective medium."""
        if self.pillars is None:
            return self.material
        return effective_medium(self.pillars.fill_fraction, self.material, self.pillars.fill,
                                f"{self.name} (effective)")

    def resolved(self):
        """Everything about the layer as used, JSON-ready (materials with all their properties)."""
        out = {"name": self.name, "thickness_m": self.thickness, "z0_m": self.z0, "active": self.active,
               "material": material_dict(self.material)}
        if self.pillars:
            out["pillars"] = {"period_m": self.pillars.period, "diameter_m": self.pillars.diameter,
                              "fill_fraction": self.pillars.fill_fraction,
                              "fill": material_dict(self.pillars.fill)}
        return out


def material_dict(m):
    d = {k: v for k, v in dataclasses.asdict(m).items() if v not in (None, "")}
    if m.conductivity:
        d["conductivity_W_mK"] = list(d.pop("conductivity"))
    for old, new in (("density", "density_kg_m3"), ("heat_capacity", "heat_capacity_J_kgK"),
                     ("wavelength", "wavelength_m"), ("dn_dT", "dn_dT_per_K")):
        if old in d:
            d[new] = d.pop(old)
    return d


@dataclasses.dataclass(frozen=True)
class Laser:
    """The line a DFB stack is said to lase at (the geometry's ``[laser]`` table)."""
    wavelength: float                    # m
    order: int = 2
    period: float | None = None          # m (None: the grating layer's pillar period)
    tolerance: float = 3e-9              # m: an effective-medium Bragg line this close is consistent
                                         # (the measured FWHM is 0.7 nm, seed 001)


@dataclasses.dataclass(frozen=True)
class Geometry:
    title: str
    layers: tuple
    cover: Material
    width: float | None = None           # full lateral extent in x (2D/3D), m
    depth: float | None = None           # full lateral extent in y (3D), m
    symmetric: bool = True               # model half (2D) / a quarter (3D) with symmetry planes
    mesh: MeshOptions = MeshOptions()
    path: pathlib.Path | None = None
    laser: Laser | None = None

    @classmethod
    def of(cls, layers, cover="air", title="stack", library=None, **options):
        """A geometry from ``[(name, material, thickness[, active]), ...]`` bottom to top: a material
        is a library name or a :class:`Material`, a thickness a quantity ("120 nm") or metres.
        Keyword options: width, depth (quantities), symmetric, and any :class:`MeshOptions` field.
        Checked as a geometry file is (InputError)."""
        library = library or Library.default()
        built, z = [], 0.0
        for i, spec in enumerate(layers):
            if isinstance(spec, Layer):
                layer = dataclasses.replace(spec, z0=z)
            else:
                name, material, thickness, *rest = spec
                if not isinstance(name, str) or not schema.NAME.match(name):
                    raise InputError(f"expected a layer name, got {name!r}", f"layers[{i}].name")
                if not isinstance(material, Material):
                    material = library.resolve(material, f"layers[{i}].material")
                layer = Layer(name, material, schema.LENGTH(thickness, f"layers[{i}].thickness"), z,
                              bool(rest and rest[0]))
            built.append(layer)
            z += layer.thickness
        own = {k: schema.LENGTH(options.pop(k), f"domain.{k}") for k in ("width", "depth") if k in options}
        if "symmetric" in options:
            own["symmetric"] = readers.boolean(options.pop("symmetric"), "domain.symmetric")
        if not isinstance(cover, Material):
            cover = library.resolve(cover, "cover")
        g = cls(title=title, layers=tuple(built), cover=cover, **own)
        g = g.with_mesh(**options) if options else g
        check(g)
        return g

    @property
    def thickness(self):
        return sum(layer.thickness for layer in self.layers)

    @property
    def active(self):
        return next((layer for layer in self.layers if layer.active), None)

    def layer(self, name):
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(name)

    def spot(self):
        """('rect', (wx, wy)) or ('disc', diameter) or None, from the mesh options."""
        if self.mesh.spot_diameter is not None:
            return "disc", self.mesh.spot_diameter
        if self.mesh.spot is not None:
            return "rect", tuple(self.mesh.spot)
        return None

    def with_mesh(self, **options):
        """A copy with meshing options replaced (validated like the file's [mesh] table)."""
        given = readers.section(schema.MESH, options, "mesh")
        current = dataclasses.asdict(self.mesh)
        if "spot" in given:
            current["spot_diameter"] = None
        if "spot_diameter" in given:
            current["spot"] = None
        current.update(given)
        g = dataclasses.replace(self, mesh=MeshOptions(**current))
        check_mesh(g, "mesh")
        return g

    def resolved(self):
        """The geometry as used, every material property included (summary.json's case.geometry)."""
        return {"file": str(self.path) if self.path else None, "title": self.title,
                "layers": [layer.resolved() for layer in self.layers], "cover": material_dict(self.cover),
                "width_m": self.width, "depth_m": self.depth, "symmetric": self.symmetric,
                "mesh": self.mesh.given(), **({"laser": dataclasses.asdict(self.laser)} if self.laser else {})}

    def laser_check(self):
        """(Bragg line m, n_eff, warning or None) of a geometry with a [laser] line (TE0, effective
        medium); None without one."""
        from cqdfem import optics

        if self.laser is None:
            return None
        return optics.line_check(optics.Slab.from_geometry(self), self.laser.period, self.laser.order,
                                 self.laser.wavelength, self.laser.tolerance)

    def estimated_cells(self):
        """The cell count its mesh will have, roughly (from the size fields, before meshing)."""
        # the count depends on the shapes and mesh options only, not on materials: a sampled case
        # (cqdfem.uq) rebuilds its geometry per sample and asks again. A guess good to a cell or two
        # is all a guard against runaway meshes needs, so thicknesses count to 3 digits.
        r = lambda x: float(f"{x:.3g}")            # noqa: E731
        key = (tuple((r(l.thickness), l.active, l.pillars and (l.pillars.period, l.pillars.diameter))
                     for l in self.layers), self.mesh, self.width, self.depth, self.symmetric)
        if key not in _ESTIMATES:
            from cqdfem.mesh import grid

            if len(_ESTIMATES) > 4096:
                _ESTIMATES.clear()
            _ESTIMATES[key] = grid.estimate_cells(self)
        return _ESTIMATES[key]


_ESTIMATES = {}


def check_mesh(geometry, key):
    opts, dim = geometry.mesh, geometry.mesh.dimension
    if opts.coordinates == "axisymmetric" and dim != 2:
        raise InputError("axisymmetric coordinates need dimension = 2", f"{key}.coordinates")
    if opts.spot is not None and opts.spot_diameter is not None:
        raise InputError("give spot (rectangle) or spot_diameter (disc), not both", f"{key}.spot")
    if opts.coordinates == "axisymmetric" and opts.spot is not None:
        raise InputError("an axisymmetric model needs a disc spot (spot_diameter)", f"{key}.spot")
    if dim >= 2 and geometry.width is None:
        raise InputError(f"a {dim}D mesh needs the lateral size of the model", "domain.width")
    if dim == 3 and geometry.depth is None:
        raise InputError("a 3D mesh needs the lateral size in y of the model", "domain.depth")
    spot = geometry.spot()
    if dim >= 2 and spot is not None:
        w = spot[1] if spot[0] == "disc" else spot[1][0]
        if w >= geometry.width:
            raise InputError(f"the pump spot ({w:g} m) must be smaller than domain.width", f"{key}.spot")
        if dim == 3 and spot[0] == "rect" and spot[1][1] >= geometry.depth:
            raise InputError(f"the pump spot ({spot[1][1]:g} m) must be smaller than domain.depth", f"{key}.spot")
    if geometry.layers:
        cells = geometry.estimated_cells()
        if cells > MAX_CELLS:
            raise InputError(f"the mesh would have ~{cells:.3g} cells (more than {MAX_CELLS:.0e}): coarsen "
                             "film_cells/min_cells/spot_cells/max_cell or shrink the domain", key)


def check(geometry):
    for i, layer in enumerate(geometry.layers):
        if layer.thickness < MIN_LAYER:
            raise InputError(f"expected at least {MIN_LAYER * 1e9:g} nm (a thinner layer is not a continuum and "
                             f"its mesh cannot resolve it), got {layer.thickness:g} m", f"layers[{i}].thickness")
    check_mesh(geometry, "mesh")


def parse_geometry(data, path=None, library=None):
    """A :class:`Geometry` from a geometry table; ``path`` names it in messages."""
    try:
        return _parse(data, path, library or Library.default())
    except InputError as e:
        raise e.at(file=path) from None


def load_geometry(path, library=None, overrides=()):
    return parse_geometry(files.apply_overrides(files.read_toml(path), overrides), pathlib.Path(path), library)


def with_materials(data, library):
    """The library plus a file's [materials] additions and overrides."""
    if "materials" not in data:
        return library
    if not isinstance(data["materials"], dict):
        raise InputError("expected a table of materials", "materials")
    return library.with_overrides(data["materials"])


def _parse(data, path, library):
    readers.section(schema.GEOMETRY, data, "", required=("layers",))
    library = with_materials(data, library)
    domain = readers.section(schema.DOMAIN, data.get("domain", {}), "domain")
    layers_in = data["layers"]
    if not isinstance(layers_in, list) or not layers_in:
        raise InputError("expected at least one [[layers]] table", "layers")
    if len(layers_in) > schema.MAX_LAYERS:
        raise InputError(f"expected at most {schema.MAX_LAYERS} layers, got {len(layers_in)}", "layers")
    layers, z, names = [], 0.0, set()
    for i, raw in enumerate(layers_in):
        key = f"layers[{i}]"
        spec = readers.section(schema.LAYER, raw, key, required=("name", "material", "thickness"))
        name = spec["name"]
        if not schema.NAME.match(name):
            raise InputError("expected a name of up to 64 letters, digits, '_' or '-' starting with a letter, "
                             f"got {name!r}", f"{key}.name")
        if name in names:
            raise InputError(f"layer name {name!r} is used twice", f"{key}.name")
        names.add(name)
        material = library.resolve(spec["material"], f"{key}.material", name=None)
        pillars = None
        if "pillars" in spec:
            p = readers.section(schema.PILLARS, spec["pillars"], f"{key}.pillars",
                                required=("period", "diameter", "fill"))
            fill = library.resolve(p["fill"], f"{key}.pillars.fill")
            if p["diameter"] >= p["period"]:
                raise InputError("expected a pillar diameter smaller than the period", f"{key}.pillars.diameter")
            pillars = Pillars(p["period"], p["diameter"], fill)
        layers.append(Layer(name, material, spec["thickness"], z, spec.get("active", False), pillars))
        z += spec["thickness"]
    if sum(layer.active for layer in layers) > 1:
        raise InputError("expected at most one layer with active = true", "layers")
    cover = library.resolve(data.get("cover", "air"), "cover")
    mesh = MeshOptions(**readers.section(schema.MESH, data.get("mesh", {}), "mesh"))
    laser = None
    if "laser" in data:
        spec = readers.section(schema.LASER, data["laser"], "laser", required=("wavelength",))
        if "period" not in spec:
            grating = next((l for l in layers if l.pillars is not None), None)
            if grating is None:
                raise InputError("give laser.period: no layer has pillars to take it from", "laser.period")
            spec["period"] = grating.pillars.period
        laser = Laser(**spec)
    geometry = Geometry(title=data.get("title", path.stem if path else "stack"), layers=tuple(layers),
                        cover=cover, width=domain.get("width"), depth=domain.get("depth"),
                        symmetric=domain.get("symmetric", True), mesh=mesh,
                        path=pathlib.Path(path) if path else None, laser=laser)
    check(geometry)
    return geometry
