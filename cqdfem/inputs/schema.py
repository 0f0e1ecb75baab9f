"""What each table of a geometry or case file may hold: key -> reader. Defaults are not here: the
typed model (:mod:`cqdfem.model`, :mod:`cqdfem.geometry`) owns them."""

import re

from cqdfem.errors import InputError
from cqdfem.lasing.gain import GAIN_MODELS
from cqdfem.inputs.readers import (boolean, choice, integer, list_of, number, pairs, quantity, raw,
                                   string, table)

# Upper bounds keep arithmetic finite (a 1e308 m layer overflows every sum) and are far beyond any device.
LENGTH = quantity("m", positive=True, maximum=1.0)
INTENSITY = quantity("W/m^2", positive=True, maximum=1e20)
TIME = quantity("s", positive=True, maximum=1e6)
TEMPERATURE = quantity("K", positive=True, maximum=1e5)
FRACTION = number(0.0, 1.0)
def fraction_or(word):
    """A number in [0, 1], or ``word``."""
    def read(value, key):
        if value == word:
            return value
        if isinstance(value, str):
            raise InputError(f"expected a number in [0, 1] or {word!r}, got {value!r}", key)
        return FRACTION(value, key)
    read.expected = f"number in [0, 1] or {word!r}"
    return read


def word_or(reader, word):
    """``word``, or what ``reader`` reads."""
    def read(value, key):
        return value if value == word else reader(value, key)
    read.expected = f"{getattr(reader, 'expected', 'a value')} or {word!r}"
    read.unit = getattr(reader, "unit", "")
    return read


def sources(value, key):
    """Where inputs come from: {input name = "seed 002 Fig. 3" or "assumption: ..."}."""
    if not isinstance(value, dict):
        raise InputError('expected a table, e.g. { saturated_gain = "002, Fig. 2" }', key)
    for name, v in value.items():
        if not isinstance(v, str) or not v.strip():
            raise InputError("expected a non-empty string naming the source (or 'assumption: ...')", f"{key}.{name}")
    return tuple(sorted(value.items()))


NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")

# --- geometry files ------------------------------------------------------------------------------

MESH = {
    "dimension": choice(1, 2, 3),
    "coordinates": choice("cartesian", "axisymmetric"),
    "film_cells": integer(1, 1000),          # cells through the active film
    "min_cells": integer(1, 1000),           # cells through every other layer
    "growth": number(1.0, 3.0, lo_open=True),   # cell-size ratio away from thin layers
    "max_cell": LENGTH,                      # largest cell size (vertical and lateral)
    "spot": list_of(LENGTH, 2),              # pump spot (x, y) full widths, rectangle
    "spot_diameter": LENGTH,                 # pump spot, disc
    "spot_cells": integer(2, 10000),         # lateral cells per spot half-width at the spot edge
    "pillar_cells": integer(4, 1000),        # lateral cells across one pillar diameter
}
DOMAIN = {"width": LENGTH, "depth": LENGTH, "symmetric": boolean}
PILLARS = {"period": LENGTH, "diameter": LENGTH, "fill": raw}
LAYER = {"name": string, "material": raw, "thickness": LENGTH, "active": boolean, "pillars": raw}
GEOMETRY = {"title": string, "layers": raw, "domain": table, "mesh": table, "cover": raw, "materials": table,
            "laser": table}
LASER = {"wavelength": LENGTH, "order": integer(1, 10), "period": LENGTH, "tolerance": LENGTH}
MAX_LAYERS = 200


def interval(value, key):
    """A checkpoint interval: a number of time steps (integer) or wall time ("10 min")."""
    if isinstance(value, str):
        return quantity("s", positive=True, maximum=1e7)(value, key)
    return integer(1, 10 ** 9)(value, key)


interval.expected = "steps (integer) or wall time"


def signed(unit, bound):
    """A quantity in ``unit`` of either sign, |value| <= ``bound`` (a coefficient, not a size)."""
    def read(value, key):
        v = quantity(unit)(value, key)
        if abs(v) > bound:
            raise InputError(f"expected a magnitude of at most {bound:g} {unit}, got {value!r}", key)
        return v
    read.expected = f"quantity in {unit}"
    read.unit = unit
    return read


def probe_point(value, key):
    """A probe: a point (list of lengths, model coordinates) or "<layer>.top|middle|bottom" on the axis."""
    if isinstance(value, str):
        if not re.fullmatch(r"[A-Za-z][\w-]*\.(top|middle|bottom)", value):
            raise InputError(f"expected [x, (y,) z] lengths or '<layer>.top|middle|bottom', got {value!r}", key)
        return value
    return list_of(quantity("m"), nonempty=True, maximum=3)(value, key)


def probes(value, key):
    if not isinstance(value, dict):
        raise InputError('expected a table of probes, e.g. {film = "film.top"}', key)
    return {name: probe_point(v, f"{key}.{name}") for name, v in value.items()}


def petsc_options(value, key):
    """PETSc options for the heat solver, e.g. {pc_hypre_boomeramg_coarsen_type = "HMIS"}: names as
    PETSc's without the leading '-' and the solver's prefix; values strings, numbers or booleans."""
    if not isinstance(value, dict):
        raise InputError('expected a table of PETSc options, e.g. { ksp_type = "gmres" }', key)
    out = []
    for name, v in value.items():
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_+]{0,99}", name):
            raise InputError(f"expected a PETSc option name (without the leading '-'), got {name!r}",
                             f"{key}.{name}")
        if not (isinstance(v, (str, bool, int, float)) and (not isinstance(v, str) or re.fullmatch(r"[\w.+/-]{1,64}", v))):
            raise InputError(f"expected a string, number or boolean value, got {v!r}", f"{key}.{name}")
        out.append((name, v))
    return tuple(out)


def relative_uncertainties(value, key):
    """[fdtr.uncertainty]: input name -> relative uncertainty, a number (0.05) or a percentage ("5 %");
    0 drops a default. Names are checked against the geometry later."""
    if not isinstance(value, dict):
        raise InputError('expected a table, e.g. { "Au.thickness" = "5 %" }', key)
    out = []
    for name, v in value.items():
        where = f"{key}.{name}"
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]{0,63}(\.(thickness|conductivity|heat_capacity))?", name):
            raise InputError("expected LAYER.thickness, LAYER.conductivity, LAYER.heat_capacity, pump_radius "
                             "or probe_radius", where)
        if isinstance(v, str):
            m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*%\s*", v)
            if not m:
                raise InputError(f'expected a relative uncertainty such as 0.05 or "5 %", got {v!r}', where)
            v = float(m.group(1)) / 100
        elif isinstance(v, bool) or not isinstance(v, (int, float)):
            raise InputError(f'expected a relative uncertainty such as 0.05 or "5 %", got {v!r}', where)
        if not 0 <= v < 1:
            raise InputError(f"expected a relative uncertainty in [0, 1), got {v!r}", where)
        out.append((name, float(v)))
    return tuple(out)


# --- case files ----------------------------------------------------------------------------------

CASE = {
    "pump": {"intensity": INTENSITY, "power_density": quantity("W/m^3", positive=True),
             "heat_flux": INTENSITY,
             "spot": list_of(LENGTH, 2), "diameter": LENGTH, "duration": TIME,
             "wavelength": LENGTH, "rise_time": quantity("s", nonnegative=True),
             "period": TIME, "pulses": integer(1, 10000),
             "angle": quantity("rad", nonnegative=True, maximum=1.5), "polarization": choice("s", "p")},
    "film": {"layer": string, "absorptance": fraction_or("optics"), "plqy": FRACTION,
             "emission_wavelength": LENGTH, "slope_efficiency": FRACTION, "auger_share": FRACTION,
             "heat_model": choice("energy-conserving", "clamped"), "stimulated_absorbed_fraction": FRACTION},
    "kinetics": {"cross_section": quantity("m^2", positive=True), "generation": quantity("1/s", positive=True),
                 "auger_lifetime": TIME, "pl_lifetime": TIME, "plqy": FRACTION,
                 "dissociation_rate": quantity("1/s", nonnegative=True),
                 "auger_scaling": choice("linear", "pairs", "cubic"), "trion_auger_lifetime": TIME,
                 "lattice": integer(2, 1000),
                 "time_step": TIME, "end_time": TIME, "seed": integer(0)},
    "gain": {"model": choice(*GAIN_MODELS), "electron_degeneracy": integer(1, 64), "hole_degeneracy": integer(1, 64),
             "doping": number(0.0, 64.0), "lasing_line_absorption": number(0.0, 1.0),
             "biexciton_absorption": number(0.0, 100.0), "donor_absorption_ratio": number(0.0, 1e3),
             "transfer_time": TIME, "competing_lifetime": TIME, "saturated_gain": quantity("1/m", positive=True, maximum=1e9),
             "confinement": fraction_or("modes"), "loss": quantity("1/m", nonnegative=True, maximum=1e9),
             "required_gain": quantity("1/m", nonnegative=True, maximum=1e9),
             "sources": sources},
    "threshold": {"law": choice("auger", "t0", "table"), "at_reference": word_or(INTENSITY, "physics"),
                  "measured": INTENSITY, "measured_fluence": quantity("J/m^2", positive=True, maximum=1e6),
                  "measured_excitons": number(0.0, 1e3),
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
                "fixed": list_of(choice("bottom", "top", "side"), nonempty=True),
                "convection": quantity("W/m^2/K", nonnegative=True),
                "output_times": list_of(TIME, maximum=10000), "probes": probes, "steady": boolean},
    "coupling": {"drive": choice("max", "mean"), "steady": boolean, "measured_lasing_duration": TIME},
    "solver": {"rtol": number(1e-14, 0.1), "reuse_preconditioner": boolean, "options": petsc_options,
               "max_memory": quantity("B", positive=True, maximum=1e18)},
    "modes": {"wavelength": LENGTH, "polarizations": list_of(choice("TE", "TM"), nonempty=True),
              "count": integer(1, 100), "layer": string,
              "thicknesses": list_of(quantity("m", positive=True, maximum=1e-4), nonempty=True, maximum=10000),
              "wavelengths": list_of(LENGTH, nonempty=True, maximum=10000),
              "material_gain": quantity("1/m", positive=True),
              "loss": quantity("1/m", nonnegative=True), "period": LENGTH, "order": integer(1, 100),
              "target_wavelength": LENGTH, "fill_with": string, "temperature": TEMPERATURE, "solver": choice("slab", "vector"),
              "ridge_width": LENGTH, "symmetry": choice("pec", "pmc", "none")},
    "bands": {"near": LENGTH, "polarizations": list_of(choice("TE", "TM"), nonempty=True),
              "lattice": choice("square", "lines"), "cells": integer(4, 1000), "cells_per_layer": integer(2, 200),
              "degree": integer(1, 4), "conductivity": boolean},
    "optics": {"in_loop": boolean, "line": choice("bragg", "band_edge"), "gain_peak": LENGTH,
               "gain_peak_shift": signed("m/K", 1e-8), "gain_width": LENGTH,
               "gain_shape": choice("gaussian", "lorentzian"), "expansion": signed("1/K", 1e-3), "linewidth": LENGTH},
    "sweep": {"thresholds": list_of(INTENSITY, nonempty=True, maximum=10000),
              "pump_ratios": list_of(number(0.0, lo_open=True), nonempty=True, maximum=10000),
              "durations": list_of(TIME, nonempty=True, maximum=1000)},
    "fdtr": {"data": string, "pump_radius": LENGTH, "probe_radius": LENGTH, "fit": string,
             "interface_conductance": boolean, "bottom": choice("half-space", "adiabatic", "isothermal"),
             "uncertainty": relative_uncertainties},
    "output": {"directory": string, "fields": boolean, "plots": boolean, "log_time": boolean,
               "field_format": choice("xdmf", "vtx", "both"), "checkpoint_interval": interval},
}
KINDS = ("mesh", "thermal", "modes", "bands", "coupled", "sweep", "fdtr")
TOP = {"title": string, "geometry": raw, "kind": choice(*KINDS), "mesh": table, "materials": table,
       "variants": raw, "uncertainty": table, **{name: table for name in CASE}}
VARIANT = {"label": string, "set": list_of(string)}
