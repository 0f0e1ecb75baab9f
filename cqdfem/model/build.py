"""Building a :class:`Model` from a case table: every check a run depends on happens here, once, so
``cqdfem check`` (which is exactly this build) refuses whatever ``run`` would refuse, before any solve.

Physics objects are built once per distinct input: the variants of a case share the threshold law
and heat model when their settings agree (a calibration is a least-squares fit; ten were made per
load before this was a build).
"""

import dataclasses
import math
import pathlib
import re

from cqdfem.errors import InputError
from cqdfem.geometry import Geometry, parse_geometry, with_materials
from cqdfem.inputs import files, readers, schema
from cqdfem.materials import Library
from cqdfem.model.case import HeatSource, Model
from cqdfem.model.parts import (LayerHeat, absorptance_origin, check_fit, cost_estimate, film_absorptance, physics_threshold,
                                laser_report, law_from_settings, probe_coordinates)
from cqdfem.model.uncertain import resolve as resolve_uncertainty
from cqdfem.model.settings import (STIMULATED_ABSORBED_FRACTION, BandsSettings, CouplingSettings, FdtrSettings, GainSettings,
                                   OpticsSettings, FilmSettings,
                                   KineticsSettings, ModesSettings, OutputSettings, PumpSettings,
                                   SolverSettings, SweepSettings, ThermalSettings, ThresholdSettings)

MAX_STEPS = 1_000_000            # time steps a transient may take (end_time / max_step)
THERMAL_KINDS = ("thermal", "coupled", "sweep")


def slug(label):
    """A variant's directory name."""
    return re.sub(r"[^A-Za-z0-9.]+", "-", label).strip("-").lower()[:80] or "variant"


def load(path, overrides=()):
    """The :class:`Model` of a case file, ``--set`` overrides applied, its ``[[variants]]`` built too."""
    path = pathlib.Path(path)
    data = files.read_toml(path)
    try:
        return from_table(data, path, overrides)
    except InputError as e:
        raise e.at(file=path) from None


def create(kind, geometry, title=None, **tables):
    """A :class:`Model` from Python: a :class:`~cqdfem.geometry.Geometry` and the case's tables as
    dicts (unit strings or SI numbers) or settings objects — checked exactly as a case file is::

        model.create("thermal", stack, pump={"intensity": "88 kW/cm^2", "duration": "2.5 us"},
                     film={"absorptance": 0.2, "plqy": 0.15}, thermal={"end_time": "4 us"})
    """
    data = {"kind": kind, **({"title": title} if title else {})}
    for name, value in tables.items():
        if name not in schema.CASE and name != "mesh":
            raise InputError(f"unknown table (expected one of {', '.join(sorted(schema.CASE))}, mesh)", name)
        if dataclasses.is_dataclass(value):
            value = {k: v for k, v in dataclasses.asdict(value).items()
                     if v is not None and v != getattr(type(value), k, object())}
        data[name] = _plain(value)
    if not isinstance(geometry, Geometry):
        raise InputError("expected a cqdfem.geometry.Geometry (e.g. Geometry.of([...]))", "geometry")
    return _Builder(Library.default()).build(data, None, geometry=geometry)


def threshold(table):
    """(law, fit or None, ThresholdSettings) of a [threshold] table alone, checked as in a case."""
    t = readers.section(schema.CASE["threshold"], table, "threshold")
    m = _Builder(Library.default()).threshold(Model(kind="mesh", geometry=None), t)
    return m.law, m.fit, m.threshold


def _plain(value):
    """Tuples to lists, as TOML would give them."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def from_table(data, path=None, overrides=(), library=None):
    """The :class:`Model` of a case table (a parsed case file); ``path`` resolves a geometry file
    name and names the case in messages."""
    builder = _Builder(library or Library.default())
    data, geo_sets = files.split_overrides(data, overrides)
    model = builder.build(data, path, geo_sets)
    variants = data.get("variants", [])
    if not isinstance(variants, list):
        raise InputError("expected [[variants]] tables with label and set", "variants")
    base = {k: v for k, v in data.items() if k != "variants"}
    built, seen = [], {}
    for i, v in enumerate(variants):
        spec = readers.section(schema.VARIANT, v, f"variants[{i}]", required=("label",))
        label = spec["label"]
        if slug(label) in seen:
            raise InputError(f"label {label!r} names the same directory ({slug(label)!r}) as variant "
                             f"{seen[slug(label)]!r}", f"variants[{i}].label")
        seen[slug(label)] = label
        try:
            vdata, vsets = files.split_overrides(base, spec.get("set", ()))
            vmodel = builder.build(vdata, path, list(geo_sets) + vsets)
        except InputError as e:
            raise InputError(f"{e.message} (in variant {label!r})",
                             f"variants[{i}].set: {e.key}" if e.key else f"variants[{i}].set", e.file) from None
        built.append((label, vmodel))
    return dataclasses.replace(model, variants=tuple(built))


def sampler(data, path=None, library=None):
    """``overrides -> Model`` for the samples of one case (:mod:`cqdfem.uq`): the same build and checks
    as :func:`from_table` (variants aside), sharing one builder so that files, the library and the
    physics built from unchanged inputs are made once; the stated laser line is checked on the case
    itself, not per sample."""
    builder = _Builder(library or Library.default(), sampling=True)

    def build(overrides):
        try:
            vdata, vsets = files.split_overrides(data, overrides)
            return builder.build(vdata, path, vsets)
        except InputError as e:
            raise e.at(file=path) from None
    return build


class _Builder:
    def __init__(self, library, sampling=False):
        self.library = library
        self.sampling = sampling
        self.files = {}   # geometry files read, by path
        self.built = {}   # what was built, by its input: ThresholdSettings -> (law, fit), HeatModel
                          # arguments -> HeatModel, Geometry -> its laser line

    def build(self, data, path, geometry_sets=(), geometry=None):
        readers.section(schema.TOP, data, "", required=() if geometry else ("geometry",))
        if geometry is None:
            geometry = self.geometry(data, path, geometry_sets, with_materials(data, self.library))
        s = {name: readers.section(table, data.get(name, {}), name) for name, table in schema.CASE.items()}
        geometry = self.mesh_options(geometry, data, s, path)
        kind = data.get("kind", "mesh")
        m = Model(kind=kind, geometry=geometry, title=data.get("title", path.stem if path else "case"),
                  path=pathlib.Path(path) if path else None, pump=PumpSettings(**s["pump"]),
                  film=FilmSettings(**s["film"]), kinetics=KineticsSettings(**s["kinetics"]),
                  thermal=ThermalSettings(**s["thermal"]), coupling=CouplingSettings(**s["coupling"]),
                  solver=SolverSettings(**s["solver"]),
                  output=OutputSettings(**s["output"]))
        self.check_film(m)
        if s["gain"]:
            m = dataclasses.replace(m, gain=GainSettings(**s["gain"]))
        if s["threshold"]:
            m = self.threshold(m, s["threshold"], tuple(s["kinetics"]))
        if s["modes"] or kind == "modes":
            m = dataclasses.replace(m, modes=ModesSettings(**s["modes"]))
        if s["bands"] or kind == "bands":
            m = dataclasses.replace(m, bands=BandsSettings(**s["bands"]))
            self.check_bands(m)
        if s["fdtr"] or kind == "fdtr":
            m = self.fdtr(m, s["fdtr"])
        if kind == "sweep":
            sweep = dict(s["sweep"])
            if "thresholds" not in sweep and m.physics is not None:
                sweep["thresholds"] = (m.threshold.at_reference,)      # the one material physics gives
            for k in ("thresholds", "pump_ratios"):
                if k not in sweep:
                    raise InputError("missing (required for a sweep unless threshold.at_reference = \"physics\")"
                                     if k == "thresholds" else "missing (required for a sweep)", f"sweep.{k}")
            m = dataclasses.replace(m, sweep=SweepSettings(**sweep))
        if kind in THERMAL_KINDS:
            m = self.thermal(m)
        if kind in ("coupled", "sweep"):
            m = self.coupled(m)
        if s["optics"]:
            m = self.optics_in_loop(m, s["optics"], "uncertainty" in data)
        if m.modes is not None:
            self.check_modes(m)
        if "uncertainty" in data and not self.sampling:
            sets = tuple(f"geometry.{g}" for g in geometry_sets)
            m = dataclasses.replace(m, uncertainty=resolve_uncertainty(
                data, sets, m, lambda table: sampler(table, path, self.library)))
        return self.laser(m)

    def laser(self, m):
        """A geometry that states its lasing line: is the stack's Bragg line there? (a warning, not a
        refusal: an inconsistent stack is still a model one may want to run, labelled)."""
        g = m.geometry
        if g.laser is None or self.sampling:
            return m
        if g not in self.built:
            self.built[g] = laser_report(g)
        line, warning = self.built[g]
        return dataclasses.replace(m, laser_line=line, warnings=m.warnings + ((warning,) if warning else ()))

    # -- the stack -----------------------------------------------------------------------------------

    def geometry(self, data, path, geometry_sets, library):
        geo = data["geometry"]
        if isinstance(geo, str):
            base = path.parent if path else pathlib.Path.cwd()
            try:
                gpath = (base / geo).resolve()
                exists = gpath.is_file()
            except (OSError, ValueError, RuntimeError):      # NUL bytes, names too long, symlink loops
                exists = False
            if not exists:
                shown = geo if len(geo) <= 200 else geo[:200] + "..."
                raise InputError(f"geometry file {shown!r} does not exist (looked in {base})", "geometry")
            try:
                if gpath not in self.files:
                    self.files[gpath] = files.read_toml(gpath)
                return parse_geometry(files.apply_overrides(self.files[gpath], geometry_sets), gpath, library)
            except InputError as e:
                raise e.at(file=gpath) from None
        if isinstance(geo, dict):
            return parse_geometry(geo, None, library)
        raise InputError("expected a geometry file name or an inline geometry table", "geometry")

    def mesh_options(self, geometry, data, s, path):
        """The case's [mesh] table, the pump spot and [thermal] dimension/coordinates on the geometry."""
        mesh = dict(data.get("mesh", {}))
        pump = s["pump"]
        if "spot" in pump and "diameter" in pump:
            raise InputError("give spot (rectangle) or diameter (disc), not both", "pump.diameter")
        if "spot" in pump:
            mesh["spot"] = data["pump"]["spot"]
        if "diameter" in pump:
            mesh["spot_diameter"] = data["pump"]["diameter"]
        for k in ("dimension", "coordinates"):
            if k in s["thermal"]:
                mesh[k] = s["thermal"][k]
        return geometry.with_mesh(**mesh) if mesh else geometry

    def check_film(self, m):
        if m.film.layer is None:
            return
        try:
            layer = m.geometry.layer(m.film.layer)
        except KeyError:
            raise InputError(f"no layer named {m.film.layer!r} in the geometry", "film.layer") from None
        if not layer.active:
            raise InputError(f"layer {m.film.layer!r} is not the active layer", "film.layer")

    # -- threshold law ---------------------------------------------------------------------------------

    def threshold(self, m, table, kinetics_given=()):
        law = table.get("law", ThresholdSettings.law)
        if law == "t0" and "T0" not in table and "fit" not in table:
            raise InputError("the t0 law needs T0 or fit", "threshold.T0")
        if law == "table" and "table" not in table:
            raise InputError("the table law needs table = [[T, P_th or ratio], ...]", "threshold.table")
        if "at_reference" not in table:
            raise InputError("missing (the threshold at the reference temperature)", "threshold.at_reference")
        physics = None
        if table["at_reference"] == "physics":
            key = ("physics", m.gain, m.kinetics, m.pump.wavelength, m.film.emission_wavelength, m.geometry,
                   kinetics_given, table.get("measured"), table.get("measured_fluence"),
                   table.get("measured_excitons"))
            if key not in self.built:
                probe = dataclasses.replace(m, threshold=ThresholdSettings(**{**table, "at_reference": 1.0}))
                self.built[key] = physics_threshold(probe, kinetics_given)[0]
            physics = self.built[key]
            table = {**table, "at_reference": physics["intensity_W_m2"]}
            if not physics["intensity_W_m2"] > 0:
                raise InputError("the material physics gives a zero threshold (no loss and transparent dots): "
                                 "nothing to scale with temperature", "threshold.at_reference")
        t = ThresholdSettings(**table)
        if t.fit:
            check_fit(t)
        if t not in self.built:
            try:
                self.built[t] = law_from_settings(t)
            except ValueError as e:
                raise InputError(f"expected a valid threshold law: {e}", "threshold") from None
        law, fit = self.built[t]
        return dataclasses.replace(m, threshold=t, law=law, fit=fit, physics=physics)

    # -- heat ------------------------------------------------------------------------------------------

    def heat_model(self, m, need):
        """The film's HeatModel (None if the case cannot have one and ``need`` is False)."""
        from cqdfem.lasing.heat import HeatModel, slope_for

        film, pump = m.film, m.pump
        absorptance = film_absorptance(m)
        for k, v in (("absorptance", absorptance), ("plqy", film.plqy)):
            if v is None:
                if not need:
                    return None
                why = (f" (the optics cannot give it: {m.absorption_note})"
                       if k == "absorptance" and m.absorption_note else "")
                raise InputError(f"missing: {need} needs film.{k} to turn light into heat{why}", f"film.{k}")
        if film.emission_wavelength <= pump.wavelength:
            raise InputError("expected an emission wavelength longer than the pump wavelength",
                             "film.emission_wavelength")
        if film.slope_efficiency is not None and film.stimulated_absorbed_fraction is not None:
            raise InputError("give slope_efficiency or stimulated_absorbed_fraction, not both (one sets the other)",
                             "film.slope_efficiency")
        if film.heat_model == "clamped" and (film.slope_efficiency or film.stimulated_absorbed_fraction) is not None:
            raise InputError("the clamped model has no stimulated share to set (all the excess leaves as light)",
                             "film.heat_model")
        if film.slope_efficiency is not None:
            slope = film.slope_efficiency           # HeatModel checks it against E_em/E_p
        else:
            f_s = film.stimulated_absorbed_fraction
            slope = slope_for(STIMULATED_ABSORBED_FRACTION if f_s is None else f_s, pump.wavelength,
                              film.emission_wavelength)
        args = dict(absorptance=absorptance, plqy=film.plqy, thickness=m.geometry.active.thickness,
                    pump_wavelength=pump.wavelength, emission_wavelength=film.emission_wavelength,
                    slope_efficiency=0.0 if film.heat_model == "clamped" else slope, auger_share=film.auger_share,
                    clamped=film.heat_model == "clamped")
        key = tuple(sorted(args.items()))
        if key not in self.built:
            try:
                self.built[key] = HeatModel(**args)
            except ValueError as e:
                where = next((k for k in ("slope_efficiency", "plqy", "absorptance", "auger_share") if k in str(e)), None)
                raise InputError(str(e), f"film.{where}" if where else "film") from None
        return self.built[key]

    def thermal(self, m):
        from cqdfem.thermal import Profile

        g, th, pump = m.geometry, m.thermal, m.pump
        film = g.active
        if film is None:
            raise InputError("the geometry has no layer with active = true (the heated film)", "geometry")
        if th.end_time is None:
            raise InputError("missing (required for a thermal run)", "thermal.end_time")
        for i, layer in enumerate(g.layers):
            at = f"layers[{i}]" if g.path else f"geometry.layers[{i}]"
            mats = [(layer.material, f"{at}.material")] + ([(layer.pillars.fill, f"{at}.pillars.fill")]
                                                          if layer.pillars else [])
            for mat, k in mats:
                try:
                    mat.require("conductivity", "density", "heat_capacity", key=k)
                except InputError as e:
                    raise InputError(f"{e.message} (a thermal run needs k, ρ and c of every layer)", k,
                                     g.path) from None
        if m.kind == "coupled" and pump.intensity is None:
            raise InputError("missing: a coupled run needs the pump intensity (the heat follows the lasing state)",
                             "pump.intensity")
        m = self.pump_optics(m)
        given = [k for k in ("power_density", "heat_flux", "intensity") if getattr(pump, k) is not None]
        if len(given) > 1:
            raise InputError(f"give one of intensity, power_density, heat_flux (got {', '.join(given)})",
                             f"pump.{given[1]}")
        source = None
        description = {"film_thickness_m": film.thickness}
        heat = None
        if pump.power_density is not None:
            source = HeatSource(pump.power_density, {**description, "model": "given power density"})
        elif pump.heat_flux is not None:
            source = HeatSource(pump.heat_flux / film.thickness,
                                {**description, "model": "given heat flux per film area"})
        elif pump.intensity is not None:
            heat = self.heat_model(m, "pump.intensity")
            description.update(model="intensity x absorptance x heat fraction / thickness (seed 000 Supp. Note)",
                               intensity_W_m2=pump.intensity, absorptance=heat.absorptance,
                               absorptance_from=absorptance_origin(m), plqy=heat.plqy,
                               pump_wavelength_m=heat.pump_wavelength,
                               emission_wavelength_m=heat.emission_wavelength,
                               heat_fraction=float(heat.heat_fraction()))
            source = HeatSource(float(heat.power_density(pump.intensity)), description)
        elif m.kind != "sweep":        # a sweep sets the pump itself, point by point
            raise InputError("expected the heat source: intensity (with film.absorptance and film.plqy), "
                             "power_density or heat_flux", "pump")
        if source is not None:
            source.description["power_density_W_m3"] = source.power_density
            if not math.isfinite(source.power_density):
                raise InputError(f"the heat density overflows ({source.power_density} W/m^3): expected a pump "
                                 "a film can take", f"pump.{given[0]}")
        try:
            profile = Profile(rise_time=pump.rise_time, duration=pump.duration, period=pump.period,
                              pulses=pump.pulses)
        except ValueError as e:
            raise InputError(f"expected a consistent pulse shape: {e}", "pump") from None
        late = [t for t in th.outputs if t > th.end_time]
        if late:
            raise InputError(f"output time {late[0]:g} s is after thermal.end_time", "thermal.output_times")
        if th.adaptive and th.scheme != "bdf2":
            raise InputError("the adaptive mode controls the bdf2 scheme's error", "thermal.scheme")
        if th.max_step is not None and th.end_time / th.max_step > MAX_STEPS:
            raise InputError(f"end_time / max_step = {th.end_time / th.max_step:.3g} steps (more than {MAX_STEPS:.0e}):"
                             " expected a larger max_step", "thermal.max_step")
        if th.first_step > th.end_time:
            raise InputError("expected a first step shorter than thermal.end_time", "thermal.first_step")
        probes = {name: probe_coordinates(spec, g, f"thermal.probes.{name}") for name, spec in th.probes.items()}
        self.check_cost(dataclasses.replace(m, profile=profile))
        if heat is None and m.kind in ("coupled", "sweep"):
            heat = self.heat_model(m, f"a {m.kind} run")
        m = dataclasses.replace(m, profile=profile, source=source, heat=heat, probes=probes)
        if heat is not None and m.absorption is not None and not isinstance(m.film.absorptance, float):
            m = self.optical_sources(m)      # the pump's light, not a given heat: optics places it
        return m

    def check_cost(self, m):
        """A 3D model whose estimated memory exceeds solver.max_memory (default: this machine's) is
        refused before anything is meshed."""
        import os

        est = cost_estimate(m)
        if est is None:
            return
        limit = m.solver.max_memory or os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        if est["memory_bytes"] > limit:
            raise InputError(f"a 3D model of ~{est['dofs']:.3g} dofs needs ~{est['memory_bytes'] / 2 ** 30:.3g} GiB, more "
                             f"than the {limit / 2 ** 30:.3g} GiB allowed (solver.max_memory): coarsen the mesh "
                             "(film_cells, spot_cells, growth, max_cell) or shrink the domain", "solver.max_memory")

    def pump_optics(self, m):
        """Where the stack absorbs the pump (transfer matrix), when every material has optical
        constants at the pump; else the reason it cannot be computed."""
        from cqdfem import absorption

        try:
            res = absorption.of_geometry(m.geometry, m.pump.wavelength, angle=m.pump.angle,
                                         polarization=m.pump.polarization)
        except ValueError as e:
            if m.film.absorptance == "optics":
                raise InputError(f"absorptance from optics: {e}", "film.absorptance") from None
            return dataclasses.replace(m, absorption=None, absorption_note=str(e))
        return dataclasses.replace(m, absorption=res, absorption_note=None)

    def optical_sources(self, m):
        """With the absorptance from optics, the film's heat follows the absorbed profile and every
        other absorbing layer is heated by what it absorbs (CQD in it emits like the film; any other
        absorber turns all of it into heat)."""
        from cqdfem import absorption

        g, res = m.geometry, m.absorption
        dim = g.mesh.dimension
        film = g.active
        shape = absorption.depth_shape(res, film.name, film.z1, dim)
        extra = []
        for layer in g.layers:
            A = res.absorptance.get(layer.name, 0.0)
            if layer.active or A <= 0:
                continue
            dots = any(mat.dot_density for mat in (layer.material, layer.pillars and layer.pillars.fill) if mat)
            fraction = m.heat.heat_fraction() if dots else 1.0
            extra.append(LayerHeat(layer.name, A, float(fraction), layer.thickness,
                                   absorption.depth_shape(res, layer.name, layer.z1, dim),
                                   "CQD (emits as the film)" if dots else "absorber (all heat)"))
        if extra and m.kind == "sweep":
            raise InputError(f"a sweep superposes the film's response only, but {', '.join(x.layer for x in extra)} "
                             "also absorb the pump: run the coupled kind, or give film.absorptance as a number",
                             "film.absorptance")
        return dataclasses.replace(m, film_shape=shape, layer_heat=tuple(extra))

    def coupled(self, m):
        if m.threshold is None:
            raise InputError(f"missing: a {m.kind} run needs a [threshold] law", "threshold")
        return m

    # -- optics ----------------------------------------------------------------------------------------

    def optics_in_loop(self, m, table, sampled):
        """The threshold law with the DFB line's detuning and Γ(T) (cqdfem.linedrift), if asked."""
        from cqdfem import linedrift, optics

        o, given = OpticsSettings(**table), set(table)
        m = dataclasses.replace(m, optics=o)
        if not o.in_loop:
            return m
        g = m.geometry
        if m.kind not in ("coupled", "sweep"):
            raise InputError('applies to kind = "coupled" or "sweep" (it changes the threshold law)', "optics.in_loop")
        if sampled:
            raise InputError("optics in the loop is not sampled yet: remove [uncertainty] or set in_loop = false",
                             "optics.in_loop")
        if g.laser is None:
            raise InputError("needs the geometry's [laser] table (line, order; the period from its pillars)",
                             "optics.in_loop")
        if g.active is None:
            raise InputError("needs an active layer (the film) in the geometry", "optics.in_loop")
        if o.line == "band_edge" and not any(l.pillars for l in g.layers):
            raise InputError('a band edge needs a pillar layer in the geometry: set line = "bragg"', "optics.line")
        T_ref = m.threshold.reference_temperature
        key = ("optics", g, o, T_ref)
        if key not in self.built:
            try:
                offset = 0.0
                if o.line == "band_edge":
                    from mpi4py import MPI

                    from cqdfem import bands

                    b = bands.band_edges(optics.Slab.from_geometry(g), bands.Grating.from_geometry(g),
                                         order=g.laser.order, near=g.laser.wavelength, comm=MPI.COMM_SELF)
                    offset = b.lasing_edge.wavelength - b.bragg_wavelength
                lines = linedrift.line_table(g, g.laser.period, g.laser.order, T_ref, o.expansion, offset)
                gain = linedrift.GainSpectrum(o.gain_peak or g.laser.wavelength, o.gain_peak_shift, o.gain_width,
                                              o.gain_shape, T_ref)
            except Exception as e:      # any failure of the optics is this input's: one line, every rank alike
                raise InputError(f"the optics of the loop cannot be built ({type(e).__name__}): {e}", "optics",
                                 g.path) from None
            self.built[key] = (lines, gain)
        lines, gain = self.built[key]
        warnings = [f"optics in the loop: {l.name}'s dn/dT is not given (0 assumed: its index does not follow T)"
                    for l in g.layers[1:] if l.homogenised().dn_dT is None and l.homogenised().refractive_index]
        return dataclasses.replace(m, law=linedrift.DetunedLaw(m.law, lines, gain), optics_sources=o.sources(given),
                                   warnings=m.warnings + tuple(warnings))

    def fdtr(self, m, table):
        """[fdtr]: the layer to fit, the beams, the uncertainties, and the measurement read and checked
        here (a bad CSV is refused by check, before any solve)."""
        if m.kind != "fdtr":
            raise InputError('applies to kind = "fdtr" only', "fdtr")
        for k in ("data", "pump_radius", "probe_radius", "fit"):
            if k not in table:
                raise InputError("missing (required for an fdtr case)", f"fdtr.{k}")
        f = FdtrSettings(**table)
        g = m.geometry
        names = [layer.name for layer in g.layers]
        if f.fit not in names:
            raise InputError(f"no layer named {f.fit!r} (layers: {', '.join(names)})", "fdtr.fit")
        if f.interface_conductance and f.fit == names[-1]:
            raise InputError(f"{f.fit!r} is the top layer: there is no interface above it to fit",
                             "fdtr.interface_conductance")
        for layer in g.layers:
            mat = layer.homogenised() if layer.pillars is not None else layer.material
            if mat.conductivity is None or mat.density is None or mat.heat_capacity is None:
                raise InputError(f"layer {layer.name!r}: its material has no conductivity, density and heat "
                                 "capacity (an FDTR model needs all three)", "layers", g.path)
        for name, _ in f.uncertainty:
            lname, _, prop = name.rpartition(".")
            if not prop or not lname:
                if name not in ("pump_radius", "probe_radius"):
                    raise InputError("expected LAYER.thickness, LAYER.conductivity, LAYER.heat_capacity, "
                                     "pump_radius or probe_radius", f"fdtr.uncertainty.{name}")
            elif lname not in names:
                raise InputError(f"no layer named {lname!r} (layers: {', '.join(names)})", f"fdtr.uncertainty.{name}")
            elif lname == f.fit and prop == "conductivity":
                raise InputError("that is the fitted quantity", f"fdtr.uncertainty.{name}")
        base = m.path.parent if m.path else pathlib.Path.cwd()
        data = files.read_columns(base / f.data, ("frequency_Hz", "phase_deg"), key="fdtr.data", file=m.path)
        freq, ph = data["frequency_Hz"], data["phase_deg"]
        where = str(base / f.data)
        if len(freq) < 3:
            raise InputError(f"expected at least 3 rows of frequency_Hz, phase_deg, got {len(freq)}", "fdtr.data", where)
        if min(freq) <= 0 or max(freq) > 1e10:
            raise InputError("expected frequencies in (0, 1e10] Hz", "fdtr.data", where)
        if len(set(freq)) != len(freq):
            raise InputError("expected distinct frequencies", "fdtr.data", where)
        if min(ph) < -180 or max(ph) > 180:
            raise InputError("expected phases in degrees within [-180, 180]", "fdtr.data", where)
        return dataclasses.replace(m, fdtr=f, measurement=data)

    def check_bands(self, m):
        from cqdfem import bands, optics

        if m.kind != "bands":
            raise InputError('applies to kind = "bands" only', "bands")
        g = m.geometry
        try:
            grating = bands.Grating.from_geometry(g)
            eff = grating.effective_slab(optics.Slab.from_geometry(g))
        except ValueError as e:
            raise InputError(f"a bands case needs a grating: {e}", "layers", g.path) from None
        # no guided mode at the line, no band edges: say so here rather than in the middle of a run
        near = m.bands.near or (g.laser.wavelength if g.laser else optics.EMISSION_WAVELENGTH)
        for pol in m.bands.polarizations:
            try:
                optics.bragg_wavelength(eff, grating.period, g.laser.order if g.laser else 2, guess=near,
                                        polarization=pol)
            except (optics.CutoffError, RuntimeError) as e:
                raise InputError(f"no {pol} band edges: the grating's stack has no Bragg line ({e})", "layers",
                                 g.path) from None

    def check_modes(self, m):
        from cqdfem import optics

        md, g = m.modes, m.geometry
        if md.wavelength is None:
            what = ("a thermal case with [modes] reports the modes on its temperature field"
                    if m.kind == "thermal" else "required for a modes run")
            raise InputError(f"missing ({what})", "modes.wavelength")
        if m.kind == "thermal" and g.mesh.dimension == 3:
            raise InputError("thermo-optic modes need a 1D or 2D thermal model (set mesh.dimension)", "modes")
        if md.layer is not None:
            try:
                g.layer(md.layer)
            except KeyError:
                raise InputError(f"no layer named {md.layer!r} in the geometry", "modes.layer") from None
        elif (md.thicknesses or md.wavelengths or md.material_gain or md.target_wavelength) and g.active is None:
            raise InputError("a sweep needs the layer to vary: set modes.layer or mark the film active", "modes.layer")
        for key, default in (("ridge_width", None), ("symmetry", "pec")):
            if getattr(md, key) != default and md.solver != "vector":
                raise InputError('applies to the 2D vector solver only (set solver = "vector")', f"modes.{key}")
        if (md.material_gain is None) != (md.loss is None):
            raise InputError("the minimum thickness for ASE needs both material_gain and loss", "modes.loss")
        if md.fill_with is not None:
            if md.target_wavelength is None or md.period is None:
                raise InputError("the grating fill that lases at a line needs modes.period and modes.target_wavelength",
                                 "modes.fill_with")
            if not any(l.pillars for l in g.layers):
                raise InputError("no layer has pillars: there is no grating fill to vary", "modes.fill_with")
            self.library.get(md.fill_with, "modes.fill_with")
        if md.ridge_width and g.active is None:
            raise InputError("a ridge needs an active layer (the film) in the geometry", "modes.ridge_width")
        try:
            optics.Slab.from_geometry(g)
        except ValueError as e:
            raise InputError(str(e), "layers", g.path) from None
