"""Loading and validating geometry and case files (TOML).

Everything a solver reads is checked here, before any work starts: unknown keys, wrong units,
missing or non-positive thicknesses, unknown materials, files that do not exist. A failure is an
:class:`InputError` carrying ``file: key: what was expected``.
"""

import copy
import dataclasses
import math
import pathlib
import re
import tomllib

from cqdfem import units
from cqdfem.errors import InputError
from cqdfem.materials import Library, Material, effective_medium

# --- small typed readers -------------------------------------------------------------------------


def quantity(unit, positive=False, nonnegative=False):
    def read(value, key):
        v = units.parse(value, unit, key)
        if positive and v <= 0:
            raise InputError(f"expected a positive quantity in {unit}, got {value!r}", key)
        if nonnegative and v < 0:
            raise InputError(f"expected a non-negative quantity in {unit}, got {value!r}", key)
        return v
    read.expected = f"quantity in {unit}"
    return read


def integer(minimum=None):
    def read(value, key):
        if isinstance(value, bool) or not isinstance(value, int):
            raise InputError(f"expected an integer, got {value!r}", key)
        if minimum is not None and value < minimum:
            raise InputError(f"expected an integer >= {minimum}, got {value!r}", key)
        return value
    return read


def number(lo=None, hi=None, lo_open=False):
    def read(value, key):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InputError(f"expected a number, got {value!r}", key)
        v = float(value)
        bad = (lo is not None and (v < lo or (lo_open and v == lo))) or (hi is not None and v > hi)
        if bad or not math.isfinite(v):
            rng = f"{'(' if lo_open else '['}{lo}, {hi if hi is not None else 'inf'}]"
            raise InputError(f"expected a number in {rng}, got {value!r}", key)
        return v
    return read


def boolean(value, key):
    if not isinstance(value, bool):
        raise InputError(f"expected true or false, got {value!r}", key)
    return value


def string(value, key):
    if not isinstance(value, str) or not value:
        raise InputError(f"expected a non-empty string, got {value!r}", key)
    return value


def choice(*options):
    def read(value, key):
        if value not in options:
            raise InputError(f"expected one of {', '.join(map(repr, options))}, got {value!r}", key)
        return value
    return read


def list_of(reader, length=None):
    def read(value, key):
        if not isinstance(value, list) or (length is not None and len(value) != length):
            n = f"{length} " if length else ""
            raise InputError(f"expected a list of {n}values, got {value!r}", key)
        return [reader(v, f"{key}[{i}]") for i, v in enumerate(value)]
    return read


def pairs(first, second):
    """A list of [a, b] pairs such as [["295 K", 1.0], ["333 K", 1.7]]."""
    def read(value, key):
        if not isinstance(value, list) or not value:
            raise InputError("expected a list of [a, b] pairs", key)
        out = []
        for i, p in enumerate(value):
            if not isinstance(p, list) or len(p) != 2:
                raise InputError(f"expected a pair [a, b], got {p!r}", f"{key}[{i}]")
            out.append([first(p[0], f"{key}[{i}][0]"), second(p[1], f"{key}[{i}][1]")])
        return out
    return read


def section(schema, value, key, required=()):
    """Check a table against ``schema`` (name -> reader); unknown keys are errors."""
    if not isinstance(value, dict):
        raise InputError("expected a table", key)
    out = {}
    for k, v in value.items():
        where = f"{key}.{k}" if key else k
        if k not in schema:
            raise InputError(f"unknown key (expected one of {', '.join(sorted(schema))})", where)
        out[k] = schema[k](v, where)
    for k in required:
        if k not in value:
            raise InputError("missing (required)", f"{key}.{k}" if key else k)
    return out


LENGTH = quantity("m", positive=True)


def raw(value, key):
    """Accept as is: the value is a table or name checked by its own parser later."""
    return value

NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")

# --- geometry ------------------------------------------------------------------------------------

MESH_SCHEMA = {
    "dimension": choice(1, 2, 3),
    "coordinates": choice("cartesian", "axisymmetric"),
    "film_cells": integer(1),          # cells through the active film
    "min_cells": integer(1),           # cells through every other layer
    "growth": number(1.0, 3.0, lo_open=True),   # cell-size ratio away from thin layers
    "max_cell": LENGTH,                # largest cell size (vertical and lateral)
    "spot": list_of(LENGTH, 2),        # pump spot (x, y) full widths, rectangle
    "spot_diameter": LENGTH,           # pump spot, disc
    "spot_cells": integer(2),          # lateral cells per spot half-width at the spot edge
    "pillar_cells": integer(4),        # lateral cells across one pillar diameter
}
MESH_DEFAULTS = {"dimension": 1, "coordinates": "cartesian", "film_cells": 4, "min_cells": 4,
                 "growth": 1.3, "spot_cells": 10, "pillar_cells": 8}

DOMAIN_SCHEMA = {"width": LENGTH, "depth": LENGTH, "symmetric": boolean}
PILLAR_SCHEMA = {"period": LENGTH, "diameter": LENGTH, "fill": raw}
LAYER_SCHEMA = {"name": string, "material": raw, "thickness": LENGTH,
                "active": boolean, "pillars": raw}
GEOMETRY_SCHEMA = {"title": string, "layers": raw, "domain": raw,
                   "mesh": raw, "cover": raw, "materials": raw}


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
    z0: float                    # bottom, m (z = 0 at the bottom of the stack)
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


@dataclasses.dataclass(frozen=True)
class Geometry:
    title: str
    layers: tuple
    cover: Material
    width: float | None          # full lateral extent in x (2D/3D), m
    depth: float | None          # full lateral extent in y (3D), m
    symmetric: bool              # model half (2D) / a quarter (3D) with symmetry planes
    mesh: dict                   # meshing options, MESH_SCHEMA keys with defaults
    path: pathlib.Path | None = None
    materials: Library | None = None

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
        return _spot(self.mesh)

    def with_mesh(self, **options):
        """A copy with meshing options replaced (validated like the file's [mesh] table)."""
        opts = dict(self.mesh)
        given = section(MESH_SCHEMA, options, "mesh")
        if "spot" in given:
            opts.pop("spot_diameter", None)
        if "spot_diameter" in given:
            opts.pop("spot", None)
        opts.update(given)
        check_mesh_options(opts, self, "mesh")
        return dataclasses.replace(self, mesh=opts)


def check_mesh_options(opts, geometry, key):
    dim = opts["dimension"]
    if opts["coordinates"] == "axisymmetric" and dim != 2:
        raise InputError("axisymmetric coordinates need dimension = 2", f"{key}.coordinates")
    if "spot" in opts and "spot_diameter" in opts:
        raise InputError("give spot (rectangle) or spot_diameter (disc), not both", f"{key}.spot")
    if opts["coordinates"] == "axisymmetric" and "spot" in opts:
        raise InputError("an axisymmetric model needs a disc spot (spot_diameter)", f"{key}.spot")
    if dim >= 2 and geometry.width is None:
        raise InputError(f"a {dim}D mesh needs the lateral size of the model", "domain.width")
    if dim == 3 and geometry.depth is None:
        raise InputError("a 3D mesh needs the lateral size in y of the model", "domain.depth")
    if dim >= 2:
        spot = _spot(opts)
        if spot is not None:
            w = spot[1] if spot[0] == "disc" else spot[1][0]
            if w >= geometry.width:
                raise InputError(f"the pump spot ({w:g} m) must be smaller than domain.width", f"{key}.spot")


def _spot(opts):
    if "spot_diameter" in opts:
        return "disc", opts["spot_diameter"]
    if "spot" in opts:
        return "rect", tuple(opts["spot"])
    return None


def read_toml(path, key=None, file=None):
    path = pathlib.Path(path)
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise InputError("file does not exist", key, file or path) from None
    except IsADirectoryError:
        raise InputError("expected a file, got a directory", key, file or path) from None
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"not valid TOML ({e})", None, path) from None


def parse_geometry(data, path=None, library=None):
    """Validate a geometry table; ``path`` is used in messages only."""
    try:
        return _parse_geometry(data, path, library or Library.default())
    except InputError as e:
        raise e.at(file=path) from None


def _with_materials(data, library):
    """The library plus the file's [materials] additions and overrides."""
    if "materials" not in data:
        return library
    if not isinstance(data["materials"], dict):
        raise InputError("expected a table of materials", "materials")
    return library.with_overrides(data["materials"])


def _parse_geometry(data, path, library):
    section(GEOMETRY_SCHEMA, data, "", required=("layers",))
    library = _with_materials(data, library)
    domain = section(DOMAIN_SCHEMA, data.get("domain", {}), "domain")
    layers_in = data["layers"]
    if not isinstance(layers_in, list) or not layers_in:
        raise InputError("expected at least one [[layers]] table", "layers")
    layers, z, names = [], 0.0, set()
    for i, raw in enumerate(layers_in):
        key = f"layers[{i}]"
        spec = section(LAYER_SCHEMA, raw, key, required=("name", "material", "thickness"))
        name = spec["name"]
        if not NAME.match(name):
            raise InputError(f"expected a name of letters, digits, '_' or '-', got {name!r}", f"{key}.name")
        if name in names:
            raise InputError(f"layer name {name!r} is used twice", f"{key}.name")
        names.add(name)
        material = library.resolve(spec["material"], f"{key}.material", name=None)
        pillars = None
        if "pillars" in spec:
            p = section(PILLAR_SCHEMA, spec["pillars"], f"{key}.pillars",
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
    mesh = dict(MESH_DEFAULTS)
    mesh.update(section(MESH_SCHEMA, data.get("mesh", {}), "mesh"))
    geometry = Geometry(title=data.get("title", path.stem if path else "stack"), layers=tuple(layers),
                        cover=cover, width=domain.get("width"), depth=domain.get("depth"),
                        symmetric=domain.get("symmetric", True), mesh=mesh,
                        path=pathlib.Path(path) if path else None, materials=library)
    check_mesh_options(mesh, geometry, "mesh")
    return geometry


def load_geometry(path, library=None):
    return parse_geometry(read_toml(path), pathlib.Path(path), library)


# --- cases ---------------------------------------------------------------------------------------

INTENSITY = quantity("W/m^2", positive=True)
TIME = quantity("s", positive=True)
TEMPERATURE = quantity("K", positive=True)
FRACTION = number(0.0, 1.0)

def probe_point(value, key):
    """A probe: a point (list of lengths, model coordinates) or "<layer>.top|middle|bottom" on the axis."""
    if isinstance(value, str):
        if not re.fullmatch(r"[A-Za-z][\w-]*\.(top|middle|bottom)", value):
            raise InputError(f"expected [x, (y,) z] lengths or '<layer>.top|middle|bottom', got {value!r}", key)
        return value
    return list_of(quantity("m"))(value, key)


CASE_SCHEMA = {
    "pump": {"intensity": INTENSITY, "power_density": quantity("W/m^3", positive=True),
             "heat_flux": INTENSITY,
             "spot": list_of(LENGTH, 2), "diameter": LENGTH, "duration": TIME,
             "wavelength": LENGTH, "rise_time": quantity("s", nonnegative=True),
             "period": TIME, "pulses": integer(1)},
    "film": {"layer": string, "absorptance": FRACTION, "plqy": FRACTION,
             "emission_wavelength": LENGTH, "slope_efficiency": FRACTION, "auger_share": FRACTION},
    "kinetics": {"cross_section": quantity("m^2", positive=True), "generation": quantity("1/s", positive=True),
                 "auger_lifetime": TIME, "pl_lifetime": TIME, "plqy": FRACTION,
                 "dissociation_rate": quantity("1/s", nonnegative=True),
                 "auger_scaling": choice("linear", "pairs", "cubic"), "lattice": integer(2),
                 "time_step": TIME, "end_time": TIME, "seed": integer(0)},
    "threshold": {"law": choice("auger", "t0", "table"), "at_reference": INTENSITY,
                  "reference_temperature": TEMPERATURE, "T0": TEMPERATURE,
                  "fit": pairs(TEMPERATURE, number(0.0, lo_open=True)),
                  "table": pairs(TEMPERATURE, number(0.0, lo_open=True)),
                  "energy": quantity("eV", positive=True), "mass_ratio": number(0.0, lo_open=True)},
    "thermal": {"dimension": choice(1, 2, 3), "coordinates": choice("cartesian", "axisymmetric"),
                "end_time": TIME, "first_step": TIME, "step_ratio": number(0.0, 1.0, lo_open=True),
                "max_step": TIME, "scheme": choice("bdf2", "cn", "euler"),
                "adaptive": boolean, "tolerance": number(0.0, 0.1, lo_open=True),
                "solver": choice("auto", "lu", "cg"),
                "ambient": TEMPERATURE, "initial": TEMPERATURE,
                "fixed": list_of(choice("bottom", "top", "side")),
                "convection": quantity("W/m^2/K", nonnegative=True),
                "output_times": list_of(TIME), "probes": raw, "steady": boolean},
    "coupling": {"drive": choice("max", "mean"), "steady": boolean},
    "modes": {"wavelength": LENGTH, "polarizations": list_of(choice("TE", "TM")), "count": integer(1),
              "layer": string, "thicknesses": list_of(LENGTH),
              "wavelengths": list_of(LENGTH), "material_gain": quantity("1/m", positive=True),
              "loss": quantity("1/m", nonnegative=True), "period": LENGTH, "order": integer(1),
              "target_wavelength": LENGTH, "temperature": TEMPERATURE, "solver": choice("slab", "vector"),
              "ridge_width": LENGTH, "symmetry": choice("pec", "pmc", "none")},
    "sweep": {"thresholds": list_of(INTENSITY), "pump_ratios": list_of(number(0.0, lo_open=True)),
              "durations": list_of(TIME)},
    "output": {"directory": string, "fields": boolean, "plots": boolean, "log_time": boolean},
}
KINDS = ("mesh", "thermal", "modes", "coupled", "sweep")
TOP_SCHEMA = {"title": string, "geometry": raw, "kind": choice(*KINDS),
              "mesh": raw, "materials": raw, "variants": raw,
              **{name: (raw) for name in CASE_SCHEMA}}
VARIANT_SCHEMA = {"label": string, "set": list_of(string)}


@dataclasses.dataclass
class Case:
    path: pathlib.Path
    title: str
    kind: str
    geometry: Geometry
    sections: dict           # validated sections, SI values
    raw: dict                # the input after --set overrides (for summary.json)
    variants: list = dataclasses.field(default_factory=list)   # [(label, Case)] from [[variants]]

    def resolved(self):
        """The fully resolved input, JSON-serialisable, for summary.json."""
        g = self.geometry
        return {"title": self.title, "kind": self.kind, "file": str(self.path),
                "geometry": {"file": str(g.path) if g.path else None, "title": g.title,
                             "layers": [{"name": l.name, "material": l.material.name,
                                         "thickness_m": l.thickness, "active": l.active}
                                        for l in g.layers],
                             "width_m": g.width, "depth_m": g.depth, "mesh": g.mesh},
                **self.sections}


def apply_overrides(data, overrides):
    """Apply ``key.path=value`` strings (value as TOML if it parses, else a string)."""
    data = copy.deepcopy(data)
    for item in overrides or ():
        if "=" not in item:
            raise InputError(f"expected KEY=VALUE, got {item!r}", "--set")
        path, text = item.split("=", 1)
        try:
            value = tomllib.loads(f"v = {text}")["v"]
        except tomllib.TOMLDecodeError:
            value = text
        steps = []
        for part in path.strip().split("."):
            m = re.fullmatch(r"([A-Za-z_][\w-]*)((?:\[\d+\])*)", part)
            if not m:
                raise InputError(f"cannot parse key {path!r} (expected a.b.c or layers[1].thickness)", "--set")
            steps.append(m.group(1))
            steps += [int(i) for i in re.findall(r"\[(\d+)\]", m.group(2))]
        node = data
        for k, nxt in zip(steps[:-1], steps[1:]):
            if isinstance(k, int):
                if not isinstance(node, list) or k >= len(node):
                    raise InputError(f"cannot set {path}: no item [{k}]", "--set")
                node = node[k]
            else:
                if not isinstance(node, dict):
                    raise InputError(f"cannot set {path}: {k} is not inside a table", "--set")
                node = node.setdefault(k, [] if isinstance(nxt, int) else {})
        last = steps[-1]
        if isinstance(last, int):
            if not isinstance(node, list) or last >= len(node):
                raise InputError(f"cannot set {path}: no item [{last}]", "--set")
        elif not isinstance(node, dict):
            raise InputError(f"cannot set {path}: not a table", "--set")
        node[last] = value
    return data


def load_case(path, overrides=()):
    """A case with its ``[[variants]]`` (each: the case plus its own ``set`` overrides) parsed too.

    ``geometry.<key>=value`` overrides reach into the geometry file when the case names one, e.g.
    ``geometry.layers[1].thickness='60 nm'``.
    """
    path = pathlib.Path(path)
    data, geo_sets = _apply_case_overrides(read_toml(path), overrides)
    try:
        case = _parse_case(data, path, geo_sets)
        variants = data.get("variants", [])
        if not isinstance(variants, list):
            raise InputError("expected [[variants]] tables with label and set", "variants")
        base = {k: v for k, v in data.items() if k != "variants"}
        for i, v in enumerate(variants):
            spec = section(VARIANT_SCHEMA, v, f"variants[{i}]", required=("label",))
            try:
                vdata, vsets = _apply_case_overrides(base, spec.get("set", []))
                vcase = _parse_case(vdata, path, geo_sets + vsets)
            except InputError as e:
                raise InputError(f"{e.message} (in variant {spec['label']!r})",
                                 f"variants[{i}].set: {e.key}" if e.key else f"variants[{i}].set") from None
            case.variants.append((spec["label"], vcase))
        return case
    except InputError as e:
        raise e.at(file=path) from None


def _apply_case_overrides(data, overrides):
    """(data with the case's overrides applied, the ``geometry.*`` ones meant for a geometry file)."""
    geo_sets, case_sets = [], []
    for item in overrides or ():
        if item.startswith("geometry.") and isinstance(data.get("geometry"), str):
            geo_sets.append(item[len("geometry."):])
        else:
            case_sets.append(item)
    data = apply_overrides(data, case_sets)
    if not isinstance(data.get("geometry"), str) and geo_sets:   # the case replaced it inline
        data = apply_overrides(data, [f"geometry.{g}" for g in geo_sets])
        geo_sets = []
    return data, geo_sets


def _parse_case(data, path, geometry_sets=()):
    section(TOP_SCHEMA, data, "", required=("geometry",))
    library = _with_materials(data, Library.default())
    geo = data["geometry"]
    if isinstance(geo, str):
        gpath = (path.parent / geo).resolve()
        if not gpath.is_file():
            raise InputError(f"geometry file {geo!r} does not exist (looked in {gpath.parent})", "geometry")
        try:
            geometry = parse_geometry(apply_overrides(read_toml(gpath), geometry_sets), gpath, library)
        except InputError as e:
            raise e.at(file=gpath) from None
    elif isinstance(geo, dict):
        geometry = _parse_geometry(geo, path, library)
    else:
        raise InputError("expected a geometry file name or an inline geometry table", "geometry")
    sections = {name: section(schema, data.get(name, {}), name) for name, schema in CASE_SCHEMA.items()}
    mesh = dict(data.get("mesh", {}))
    pump = sections["pump"]
    if "spot" in pump and "diameter" in pump:
        raise InputError("give spot (rectangle) or diameter (disc), not both", "pump.diameter")
    if "spot" in pump:
        mesh["spot"] = data["pump"]["spot"]
    if "diameter" in pump:
        mesh["spot_diameter"] = data["pump"]["diameter"]
    for k in ("dimension", "coordinates"):
        if k in sections["thermal"]:
            mesh[k] = sections["thermal"][k]
    if mesh:
        try:
            geometry = geometry.with_mesh(**mesh)
        except InputError as e:
            raise e.at(file=path) from None
    film = sections["film"]
    if "layer" in film:
        try:
            layer = geometry.layer(film["layer"])
        except KeyError:
            raise InputError(f"no layer named {film['layer']!r} in the geometry", "film.layer") from None
        if not layer.active:
            raise InputError(f"layer {film['layer']!r} is not the active layer", "film.layer")
    thr = sections["threshold"]
    if thr.get("law") == "t0" and "T0" not in thr and "fit" not in thr:
        raise InputError("the t0 law needs T0 or fit", "threshold.T0")
    if thr.get("law") == "table" and "table" not in thr:
        raise InputError("the table law needs table = [[T, P_th or ratio], ...]", "threshold.table")
    if thr:
        from cqdfem.lasing import threshold as thresholds

        try:
            thresholds.from_settings(thr)
        except ValueError as e:
            raise InputError(f"expected a valid threshold law: {e}", "threshold") from None
    out = sections["output"]
    out.setdefault("directory", str(pathlib.Path("results") / path.stem))
    case = Case(path=path, title=data.get("title", path.stem), kind=data.get("kind", "mesh"),
                geometry=geometry, sections=sections, raw=data)
    # validate now: `cqdfem check` must catch what `run` would
    if case.kind in ("coupled", "sweep"):
        coupled_settings(case)            # includes thermal_settings
    elif case.kind == "thermal":
        thermal_settings(case)
    if case.kind == "modes":
        m = case.sections["modes"]
        if "wavelength" not in m:
            raise InputError("missing (required for a modes run)", "modes.wavelength")
        if "layer" in m:
            try:
                geometry.layer(m["layer"])
            except KeyError:
                raise InputError(f"no layer named {m['layer']!r} in the geometry", "modes.layer") from None
        for key in ("ridge_width", "symmetry"):
            if key in m and m.get("solver") != "vector":
                raise InputError('applies to the 2D vector solver only (set solver = "vector")', f"modes.{key}")
        if ("material_gain" in m) != ("loss" in m):
            raise InputError("the minimum thickness for ASE needs both material_gain and loss", "modes.loss")
    if case.kind == "thermal" and case.sections["modes"] and "wavelength" not in case.sections["modes"]:
        raise InputError("missing (a thermal case with [modes] reports the modes on its temperature field)",
                         "modes.wavelength")
    if case.kind == "sweep":
        for k in ("thresholds", "pump_ratios"):
            if k not in case.sections["sweep"]:
                raise InputError("missing (required for a sweep)", f"sweep.{k}")
    return case


# --- what a thermal run needs, from a case (pure Python: `check` runs it without DOLFINx) ---------

DEFAULT_PUMP_WAVELENGTH = 442e-9       # the paper's diode pump (seed 001)
DEFAULT_EMISSION_WAVELENGTH = 640e-9   # CQD emission (seed 001)
OUTPUT_FRACTIONS = (1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0)


def thermal_settings(case):
    """Solver inputs in SI from a case's [pump], [film] and [thermal] sections (InputError if bad)."""
    from cqdfem.lasing.heat import HeatModel
    from cqdfem.thermal import Profile

    pump, film_sec, th = (case.sections[k] for k in ("pump", "film", "thermal"))
    film = case.geometry.active
    if film is None:
        raise InputError("the geometry has no layer with active = true (the heated film)", "geometry")
    if "end_time" not in th:
        raise InputError("missing (required for a thermal run)", "thermal.end_time")
    given = [k for k in ("power_density", "heat_flux", "intensity") if k in pump]
    source = {"film_thickness_m": film.thickness}
    if "power_density" in given:
        q = pump["power_density"]
        source["model"] = "given power density"
    elif "heat_flux" in given:
        q = pump["heat_flux"] / film.thickness
        source["model"] = "given heat flux per film area"
    elif "intensity" in given:
        for k in ("absorptance", "plqy"):
            if k not in film_sec:
                raise InputError(f"missing: pump.intensity needs film.{k} to turn light into heat", f"film.{k}")
        lam_p = pump.get("wavelength", DEFAULT_PUMP_WAVELENGTH)
        lam_e = film_sec.get("emission_wavelength", DEFAULT_EMISSION_WAVELENGTH)
        if lam_e <= lam_p:
            raise InputError("expected an emission wavelength longer than the pump wavelength",
                             "film.emission_wavelength")
        model = HeatModel(absorptance=film_sec["absorptance"], plqy=film_sec["plqy"], thickness=film.thickness,
                          pump_wavelength=lam_p, emission_wavelength=lam_e)
        q = float(model.power_density(pump["intensity"]))
        source.update(model="intensity x absorptance x heat fraction / thickness (seed 000 Supp. Note)",
                      intensity_W_m2=pump["intensity"], absorptance=film_sec["absorptance"],
                      plqy=film_sec["plqy"], pump_wavelength_m=lam_p, emission_wavelength_m=lam_e,
                      heat_fraction=float(model.heat_fraction()))
    else:
        raise InputError("expected the heat source: intensity (with film.absorptance and film.plqy), "
                         "power_density or heat_flux", "pump")
    if len(given) > 1:
        raise InputError(f"give one of intensity, power_density, heat_flux (got {', '.join(given)})",
                         f"pump.{given[1]}")
    source["power_density_W_m3"] = q
    try:
        profile = Profile(rise_time=pump.get("rise_time", 0.0), duration=pump.get("duration"),
                          period=pump.get("period"), pulses=pump.get("pulses", 1))
    except ValueError as e:
        raise InputError(f"expected a consistent pulse shape: {e}", "pump") from None
    end = th["end_time"]
    outputs = th.get("output_times") or [end * f for f in OUTPUT_FRACTIONS]
    late = [t for t in outputs if t > end]
    if late:
        raise InputError(f"output time {late[0]:g} s is after thermal.end_time", "thermal.output_times")
    if th.get("adaptive") and th.get("scheme", "bdf2") != "bdf2":
        raise InputError("the adaptive mode controls the bdf2 scheme's error", "thermal.scheme")
    ambient = th.get("ambient", 295.0)
    probes = {}
    for name, spec in section({k: probe_point for k in th.get("probes", {})}, th.get("probes", {}),
                              "thermal.probes").items():
        probes[name] = _probe_coordinates(spec, case.geometry, f"thermal.probes.{name}")
    return {"power_density": q, "source": source, "profile": profile, "end_time": end,
            "first_step": th.get("first_step", 1e-10), "step_ratio": th.get("step_ratio", 0.05),
            "max_step": th.get("max_step"), "scheme": th.get("scheme", "bdf2"),
            "adaptive": th.get("adaptive", False), "tolerance": th.get("tolerance", 1e-3),
            "solver": th.get("solver", "auto"), "fixed_temperature": ambient,
            "initial": th.get("initial", ambient), "fixed": th.get("fixed", ["bottom"]),
            "convection": ({"top": (th["convection"], ambient)} if th.get("convection") else {}),
            "output_times": sorted(outputs), "probes": probes}


def _probe_coordinates(spec, geometry, key):
    dim = geometry.mesh["dimension"]
    if isinstance(spec, str):
        name, where = spec.rsplit(".", 1)
        try:
            layer = geometry.layer(name)
        except KeyError:
            raise InputError(f"no layer named {name!r}", key) from None
        z = {"bottom": layer.z0, "middle": layer.z0 + layer.thickness / 2, "top": layer.z1}[where]
        return [0.0] * (dim - 1) + [z]
    if len(spec) != dim:
        raise InputError(f"expected {dim} coordinates for a {dim}D model, got {len(spec)}", key)
    return spec


def coupled_settings(case):
    """The device (heat model + threshold law) and pump of a coupled run (InputError if bad)."""
    from cqdfem.coupling import Device, Pump
    from cqdfem.lasing import threshold as thresholds
    from cqdfem.lasing.heat import HeatModel

    s = thermal_settings(case)
    pump, film_sec = case.sections["pump"], case.sections["film"]
    if "intensity" not in pump:
        raise InputError("missing: a coupled run needs the pump intensity (the heat follows the lasing state)",
                         "pump.intensity")
    if not case.sections["threshold"]:
        raise InputError("missing: a coupled run needs a [threshold] law", "threshold")
    law, fit = thresholds.from_settings(case.sections["threshold"])
    try:
        heat = HeatModel(absorptance=film_sec["absorptance"], plqy=film_sec["plqy"],
                         thickness=case.geometry.active.thickness,
                         pump_wavelength=s["source"]["pump_wavelength_m"],
                         emission_wavelength=s["source"]["emission_wavelength_m"],
                         slope_efficiency=film_sec.get("slope_efficiency", 0.0),
                         auger_share=film_sec.get("auger_share", 0.0))
    except ValueError as e:
        raise InputError(str(e), "film") from None
    c = case.sections["coupling"]
    return {**s, "device": Device(heat, law), "fit": fit, "pump": Pump(pump["intensity"], s["profile"]),
            "drive": c.get("drive", "max"), "steady": c.get("steady", True)}
