"""Quantity strings ("120 nm", "51 kW/cm^2", "2.5 us", "295 K") to SI floats, with pint.

A bare number is taken as SI. The expected dimension is given as an SI unit string ("m", "W/m^2",
"K", ...); a quantity of another dimension is an :class:`InputError` that says what was expected.
"""

import functools
import math
import re

from cqdfem.errors import InputError

_NUMBER = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")


@functools.lru_cache(maxsize=None)
def registry():
    import pint

    # One registry for the process: pint quantities from different registries cannot be mixed.
    return pint.UnitRegistry()


def parse(value, unit, key=None):
    """Return ``value`` in the SI unit ``unit`` as a float.

    ``value`` is a number (already SI) or a string "<number> <unit>". Temperatures accept offset
    units ("60 degC"), converted as absolute temperatures.
    """
    if isinstance(value, bool):
        raise InputError(f"expected a quantity in {unit}, got {value!r}", key)
    if isinstance(value, str) and isinstance(unit, str):
        try:
            return _parse_text(value, unit)
        except InputError as e:
            raise InputError(e.message, key) from None
    return _parse(value, unit, key)


@functools.lru_cache(maxsize=4096)
def _parse_text(value, unit):
    # a case is built many times over when sampled (cqdfem.uq): pint is slow, its answers do not change
    return _parse(value, unit, None)


def _parse(value, unit, key):
    if isinstance(value, (int, float)):
        result = float(value)
    elif isinstance(value, str):
        m = _NUMBER.match(value)
        if not m:
            raise InputError(f"expected a quantity like '1.5 {unit}', got {value!r}", key)
        number, text = float(m.group(1)), m.group(2)
        if not text:
            result = number
        else:
            ureg = registry()
            import pint

            try:
                q = ureg.Quantity(number, text.replace("µ", "u"))
                result = float(q.to(unit).magnitude)
            except pint.errors.DimensionalityError:
                raise InputError(f"expected a quantity in {unit} ({_article(_dimension_name(unit))}), got {value!r}",
                                 key) from None
            except Exception:     # pint raises a zoo of types on junk ("x/0", control characters)
                raise InputError(f"unknown unit {text!r} in {value!r} (expected {unit})", key) from None
    else:
        raise InputError(f"expected a quantity in {unit}, got {value!r}", key)
    if not math.isfinite(result):
        raise InputError(f"expected a finite quantity in {unit}, got {value!r}", key)
    return result


def format(value, unit, display=None, digits=12):
    """Write an SI ``value`` as a quantity string in ``display`` units (default: the SI unit)."""
    if display is None or display == unit:
        return f"{value:.{digits}g} {unit}"
    q = registry().Quantity(value, unit).to(display)
    return f"{q.magnitude:.{digits}g} {display}"


def _article(noun):
    return ("an " if noun[0] in "aeiou" else "a ") + noun


def _dimension_name(unit):
    names = {"m": "length", "s": "time", "K": "temperature", "W/m^2": "intensity",
             "W/m^3": "power density", "W/m/K": "thermal conductivity", "kg/m^3": "density",
             "J/kg/K": "specific heat capacity", "1/K": "thermo-optic coefficient", "J": "energy",
             "eV": "energy", "1/m": "inverse length", "J/m^2": "fluence"}
    return names.get(unit, str(registry().Unit(unit).dimensionality))
