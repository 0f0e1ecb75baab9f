"""A case's ``[uncertainty]`` table: which inputs are uncertain and how (the case's distributions, or
the published ones of physics.md §11 with ``use_library = true``), and how one sample of them becomes
a model: ``--set`` overrides of the case, built and checked exactly as the case itself is.

    [uncertainty]
    samples = 1024
    seed = 1
    use_library = true                              # data/uncertainties.toml (sources given)
    "film.plqy" = "uniform(0.10, 0.20)"             # any numeric input, by its --set key path
    "geometry.layers[2].thickness" = "62 nm ± 3 nm"
    "materials.MgF2.conductivity" = "± 5 %"         # centred on the case's own value
    "film.absorption_cross_section" = "×/÷ 2"       # the film material's σ at the pump
"""

import dataclasses
import math
import tomllib
from importlib import resources

from cqdfem import uq
from cqdfem.errors import InputError
from cqdfem.inputs import files, readers, schema

FRACTIONS = ("plqy", "absorptance", "slope_efficiency", "auger_share", "stimulated_absorbed_fraction")
MATERIAL_FIELDS = ("conductivity", "density", "heat_capacity", "refractive_index", "extinction", "dn_dT",
                   "absorption_cross_section", "dot_density")
# what the table may hold besides inputs (key paths have dots; these do not)
OPTIONS = {
    "samples": readers.integer(4, 1 << 20),            # Sobol points (a power of two keeps them balanced)
    "seed": readers.integer(0, 2**31 - 1),
    "use_library": readers.boolean,
    "probabilities": readers.list_of(readers.number(0.0, 1.0), nonempty=True, maximum=99),
    "indices": readers.boolean,                        # Sobol indices (n (d + 2) evaluations) or not
    "confidence": readers.number(0.5, 0.999),          # of the indices' bootstrap intervals
    "fem_responses": readers.integer(4, 4096),         # FEM step responses spanning the thermal inputs
    "validation": readers.integer(0, 1024),            # samples solved exactly to measure the interpolation
    "time_steps": readers.integer(50, 100000),         # of the sampled transients' uniform grid
}


@dataclasses.dataclass(frozen=True)
class UncertainInput:
    key: str                       # as written in [uncertainty] (or the library's)
    distribution: object           # cqdfem.uq.Distribution of the value (SI), or of a factor on it
    factor: bool                   # the distribution is of a factor on ``base`` (vector-valued inputs)
    base: object                   # the case's value (SI): a number, or a tuple (anisotropic conductivity)
    unit: str
    source: str                    # "case" or the library's source
    target: str                    # the --set key it writes
    form: str                      # number | pair (conductivity) | sigma ([σ, λ])
    extra: float | None = None     # the wavelength of a cross-section

    def value(self, x):
        """The input's value (SI) for a drawn ``x``: a number, or the pair of a conductivity."""
        if self.factor:
            return tuple(float(b) * float(x) for b in self.base)
        return (float(x), float(x)) if self.form == "pair" else float(x)

    def overrides(self, x):
        v = self.value(x)
        if self.form == "pair":
            return [f"{self.target}=[{v[0]!r}, {v[1]!r}]"]
        if self.form == "sigma":
            return [f"{self.target}=[{v!r}, {self.extra!r}]"]
        return [f"{self.target}={v!r}"]

    @property
    def column(self):
        """Its column in uq_samples.csv (the SI value, or the factor of a vector-valued input)."""
        return f"{self.key} (factor)" if self.factor else f"{self.key} [{self.unit or '1'}]"

    def describe(self):
        return {"key": self.key, **self.distribution.describe(), "of": "factor on the case's value" if self.factor
                else "value", "case_value_SI": list(self.base) if isinstance(self.base, tuple) else self.base,
                "unit": self.unit, "source": self.source}


@dataclasses.dataclass(frozen=True)
class UncertaintySettings:
    inputs: tuple                              # UncertainInput, in table order (library ones after)
    samples: int = 1024
    seed: int = 1
    use_library: bool = False
    probabilities: tuple = (0.05, 0.5, 0.95)
    indices: bool = True
    confidence: float = 0.95
    fem_responses: int = 32
    validation: int = 8
    time_steps: int = 1000
    # how a sample is built: the case table (without [uncertainty]) and its geometry overrides
    table: dict = dataclasses.field(default=None, compare=False, hash=False, repr=False)
    geometry_sets: tuple = ()

    def describe(self):
        return {"samples": self.samples, "seed": self.seed, "use_library": self.use_library,
                "probabilities": list(self.probabilities), "indices": self.indices,
                "inputs": [i.describe() for i in self.inputs]}


def resolve(data, geometry_sets, model, sampler):
    """The :class:`UncertaintySettings` of ``data["uncertainty"]`` for the built ``model``; every
    input is located, its distribution parsed, and the case rebuilt at each input's extremes
    (``sampler(table)`` gives ``overrides -> Model`` for the case's table without [uncertainty]):
    what a sample could be, check has built."""
    table = data["uncertainty"]
    if not isinstance(table, dict):
        raise InputError('expected a table of key paths and distributions, e.g. "film.plqy" = "uniform(0.10, 0.20)"',
                         "uncertainty")
    if model.kind not in ("thermal", "coupled", "sweep"):
        raise InputError(f"a {model.kind} case has no transient to sample: [uncertainty] needs a thermal, "
                         "coupled or sweep case", "uncertainty")
    if model.layer_heat:
        raise InputError(f"a sampled run superposes the film's response only, but {', '.join(h.layer for h in model.layer_heat)} "
                         "also absorb the pump: give film.absorptance as a number", "uncertainty")
    if model.thermal.initial_temperature != model.thermal.ambient:
        raise InputError("a sampled run superposes responses of a film that starts at the ambient temperature: "
                         "expected thermal.initial = thermal.ambient", "thermal.initial")
    if model.kind in ("coupled", "sweep"):
        from cqdfem.lasing import threshold as laws

        if not (isinstance(model.law, laws.T0) or (isinstance(model.law, laws.Auger) and not callable(model.law.energy))):
            raise InputError("a sampled run evaluates its threshold laws as arrays: it needs the t0 law, or the auger "
                             "law with a constant energy", "threshold.law")
    options = {k: v for k, v in table.items() if "." not in k}
    options = readers.section(OPTIONS, options, "uncertainty")
    n, sobol = options.get("samples", UncertaintySettings.samples), options.get("indices", UncertaintySettings.indices)
    if sobol and model.kind != "sweep" and n & (n - 1):
        raise InputError(f"expected a power of two with Sobol indices (the points' balance needs it), got {n}: "
                         f"{1 << (n.bit_length() - 1)} or {1 << n.bit_length()}", "uncertainty.samples")
    given = {k: v for k, v in table.items() if "." in k}
    inputs = {}
    for key, text in given.items():
        inputs[key] = _input(model, key, text, "case", f'uncertainty."{key}"')
    if options.get("use_library"):
        for key, (text, source) in library_entries(model).items():
            if key not in inputs and not any(i.target == locate(model, key, "uncertainty")[3] for i in inputs.values()):
                inputs[key] = _input(model, key, text, source, f"uncertainty (library entry {key!r})")
    if not inputs:
        raise InputError("no uncertain inputs: give key paths with distributions, or use_library = true", "uncertainty")
    sample_data = {k: v for k, v in data.items() if k not in ("uncertainty", "variants")}
    settings = UncertaintySettings(inputs=tuple(inputs.values()), table=sample_data,
                                   geometry_sets=tuple(geometry_sets),
                                   **{k: tuple(v) if isinstance(v, list) else v for k, v in options.items()})
    check_extremes(settings, sampler(sample_data), model)
    return settings


def _input(model, key, text, source, where):
    base, unit, bounds, target, form, extra = locate(model, key, where)
    if not isinstance(text, str):
        raise InputError(f"expected a distribution string, e.g. '{_example(unit)}', got {text!r}", where)
    if base is None and uq.centred(text):
        raise InputError(f"{text!r} is centred on the case's value, but the case does not set {key} (its default "
                         "applies): write the distribution in full, e.g. 'uniform(a, b)' or 'a ± s'", where)
    factor = form == "pair" and base[0] != base[1]
    if factor:
        if not uq.relative(text):
            raise InputError(f"the conductivity is anisotropic ({base[0]:g}, {base[1]:g} W/m/K): expected a "
                             "relative uncertainty ('± 5 %' or '×/÷ 1.1'), which scales both", where)
        dist = uq.parse(text, "", where, bounds=(0.0, math.inf), base=1.0)
        return UncertainInput(key, dist, True, base, unit, source, target, form, extra)
    scalar = base[0] if form == "pair" else base
    dist = uq.parse(text, unit, where, bounds=bounds, base=scalar)
    return UncertainInput(key, dist, False, scalar, unit, source, target, form, extra)


def _example(unit):
    return f"0.24 ± 0.04 {unit}" if unit else "uniform(0.10, 0.20)"


def locate(model, key, where):
    """(case value SI, unit, truncation bounds, --set key to write, form, extra) of a key path."""
    steps = files.key_steps(key, where)
    g = model.geometry
    positive = (0.0, math.inf)
    if steps[0] == "materials" and len(steps) == 3 and isinstance(steps[1], str):
        name, field = steps[1], steps[2]
        mats = {m.name: m for m in _materials(g)}
        if name not in mats:
            raise InputError(f"no material {name!r} in this case's stack (it has {', '.join(sorted(mats))})", where)
        return _material_value(mats[name], field, key, where)
    if steps[:2] == ["film", "absorption_cross_section"] and len(steps) == 2:
        mat = g.active.material
        v = _material_value(mat, "absorption_cross_section", f"materials.{mat.name}.absorption_cross_section", where)
        return v
    if steps[:2] == ["film", "thickness"] and len(steps) == 2:
        i = g.layers.index(g.active)
        return g.active.thickness, "m", positive, f"geometry.layers[{i}].thickness", "number", None
    if steps[0] == "geometry" and len(steps) >= 4 and steps[1] == "layers" and isinstance(steps[2], int):
        if steps[2] >= len(g.layers):
            raise InputError(f"the stack has {len(g.layers)} layers (no layers[{steps[2]}])", where)
        layer = g.layers[steps[2]]
        if steps[3:] == ["thickness"]:
            return layer.thickness, "m", positive, key, "number", None
        if len(steps) == 5 and steps[3] == "pillars" and steps[4] in ("period", "diameter") and layer.pillars:
            return getattr(layer.pillars, steps[4]), "m", positive, key, "number", None
        raise InputError("expected geometry.layers[i].thickness or geometry.layers[i].pillars.period|diameter "
                         "of a layer with pillars", where)
    if steps[0] in ("sweep", "modes", "output", "kinetics"):
        raise InputError(f"[{steps[0]}] does not reach a sample's heat or lasing: expected an input of the stack, "
                         "the materials, [pump], [film], [threshold], [thermal] or [coupling]", where)
    if steps[0] in schema.CASE and len(steps) >= 2 and isinstance(steps[1], str):
        settings = getattr(model, steps[0], None)
        reader = schema.CASE[steps[0]].get(steps[1])
        if settings is None or reader is None:
            raise InputError(f"{key!r} is not an input of this case", where)
        value = getattr(settings, steps[1], None)
        unit = getattr(reader, "unit", "")          # quantities carry their SI unit; numbers have none
        for j, s in enumerate(steps[2:]):
            if not isinstance(s, int) or not isinstance(value, (list, tuple)) or s >= len(value):
                raise InputError(f"{key!r} is not an input of this case (no item {s})", where)
            value = value[s]
            if steps[1] in ("fit", "table") and j == 1:
                unit = "K" if s == 0 else ""
        bounds = (0.0, 1.0) if steps[1] in FRACTIONS else positive
        if value is None and len(steps) == 2:          # a default the case did not set: a full distribution only
            return None, unit, bounds, key, "number", None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InputError(f"{key!r} is not a number of this case (it is {value!r}): only numeric inputs "
                             "can be uncertain", where)
        return float(value), unit, bounds, key, "number", None
    raise InputError(f"cannot sample {key!r}: expected materials.NAME.FIELD, geometry.layers[i].thickness, "
                     "film.thickness, film.absorption_cross_section or TABLE.KEY of a case table", where)


def _materials(g):
    out = [g.cover] if g.cover is not None else []
    for layer in g.layers:
        out.append(layer.material)
        if layer.pillars:
            out.append(layer.pillars.fill)
    return [m for m in out if m is not None]


def _material_value(mat, field, target, where):
    from cqdfem.materials import FIELDS

    if field not in MATERIAL_FIELDS:
        raise InputError(f"cannot sample material property {field!r} (expected one of {', '.join(MATERIAL_FIELDS)})",
                         where)
    value = getattr(mat, field)
    if value is None:
        raise InputError(f"material {mat.name!r} has no {field}", where)
    if field == "refractive_index" and mat.optical_constants:
        raise InputError(f"material {mat.name!r} gives its index as a table over wavelength: a scalar sample "
                         "would replace the table", where)
    if field == "conductivity":
        return tuple(value), FIELDS[field], (0.0, math.inf), target, "pair", None
    if field == "absorption_cross_section":
        return value[0], "m^2", (0.0, math.inf), target, "sigma", value[1]
    bounds = (-math.inf, math.inf) if field == "dn_dT" else (0.0, math.inf)
    return float(value), FIELDS[field], bounds, target, "number", None


def library_entries(model):
    """{key path: (distribution, source)} of the published uncertainties (data/uncertainties.toml) that
    apply to this case's stack and inputs."""
    lib = _library()
    g, out = model.geometry, {}
    for mat in _materials(g):
        for field, entry in lib["materials"].get(mat.name, {}).items():
            if getattr(mat, field, None) is not None:
                out[f"materials.{mat.name}.{field}"] = tuple(entry)
    film = g.active
    for field, entry in lib["film"].get(film.material.name if film else None, {}).items():
        if field == "plqy" and model.film.plqy is None:
            continue
        out[f"film.{field}"] = tuple(entry)
    case = lib["case"]
    if model.pump.intensity is not None and model.kind != "sweep":
        out["pump.intensity"] = tuple(case["pump.intensity"])
    if model.threshold is not None and model.threshold.fit:
        for i, _ in enumerate(model.threshold.fit):
            out[f"threshold.fit[{i}][0]"] = tuple(case["threshold.fit.temperature"])
            out[f"threshold.fit[{i}][1]"] = tuple(case["threshold.fit.ratio"])
    return out


def _library():
    text = resources.files("cqdfem.data").joinpath("uncertainties.toml").read_text()
    return tomllib.loads(text)


def _shared(m):
    """What every sample of a run shares (one pump profile, one time grid, one drive): the thermal
    settings apart from the ambient temperature and the convection (thermal inputs), and the pump's shape."""
    return m.profile, dataclasses.replace(m.thermal, ambient=0.0, initial=None, convection=0.0), m.coupling.drive


def check_extremes(settings, build, base):
    """Build the case with each input at its 0.01 % and 99.99 % points (the others at the case's
    values): a value the case would refuse is refused now, by check, not by a sample mid-run; and a
    value that does not reach the model (overridden elsewhere) is an error, not a silent zero."""
    for inp in settings.inputs:
        where = f'uncertainty."{inp.key}"' if inp.source == "case" else f"uncertainty (library entry {inp.key!r})"
        for p in (1e-4, 1 - 1e-4):
            x = float(inp.distribution.ppf(p))
            try:
                m = build(list(settings.geometry_sets) + inp.overrides(x))
            except InputError as e:
                raise InputError(f"at its {100 * p:g} % point ({x:.6g}) the case is refused: {e}", where) from None
            if m.thermal.initial_temperature != m.thermal.ambient:
                raise InputError("a sampled run superposes responses of a film that starts at the ambient "
                                 "temperature: the sample's thermal.initial differs from its ambient", where)
            if _shared(m) != _shared(base):
                raise InputError("the samples of a run share one pump shape and one time grid: this input changes "
                                 "them (pump timing, thermal steps, coupling.drive); vary it with [[variants]]", where)
            got = locate(m, inp.key, where)[0]
            want = inp.value(x)
            if not _close(got, want):
                raise InputError(f"the sampled value does not reach the model (set {want}, the model has {got}): "
                                 "is it overridden by the geometry file's own [materials]?", where)


def _close(a, b):
    a, b = (a if isinstance(a, tuple) else (a,)), (b if isinstance(b, tuple) else (b,))
    return len(a) == len(b) and all(math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-300) for x, y in zip(a, b))
