"""Typed readers for one value of an input table: each takes (value, key) and returns the value in
SI or raises :class:`InputError` naming the key and what was expected. Pure parsing: no defaults,
no physics."""

import math

from cqdfem import units
from cqdfem.errors import InputError


def quantity(unit, positive=False, nonnegative=False, maximum=None):
    def read(value, key):
        v = units.parse(value, unit, key)
        if positive and v <= 0:
            raise InputError(f"expected a positive quantity in {unit}, got {value!r}", key)
        if nonnegative and v < 0:
            raise InputError(f"expected a non-negative quantity in {unit}, got {value!r}", key)
        if maximum is not None and v > maximum:
            raise InputError(f"expected at most {maximum:g} {unit}, got {value!r}", key)
        return v
    read.expected = f"quantity in {unit}"
    read.unit = unit
    return read


def integer(minimum=None, maximum=None):
    def read(value, key):
        if isinstance(value, bool) or not isinstance(value, int):
            raise InputError(f"expected an integer, got {value!r}", key)
        if minimum is not None and value < minimum:
            raise InputError(f"expected an integer >= {minimum}, got {value!r}", key)
        if maximum is not None and value > maximum:
            raise InputError(f"expected an integer <= {maximum}, got {value!r}", key)
        return value
    read.expected = "integer" + _range(minimum, maximum)
    return read


def _range(lo, hi, lo_open=False):
    if lo is None and hi is None:
        return ""
    return f" in {'(' if lo_open else '['}{lo if lo is not None else '-inf'}, {hi if hi is not None else 'inf'}]"


def number(lo=None, hi=None, lo_open=False):
    def read(value, key):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InputError(f"expected a number, got {value!r}", key)
        try:
            v = float(value)
        except OverflowError:        # a TOML integer beyond any float
            v = math.inf
        bad = (lo is not None and (v < lo or (lo_open and v == lo))) or (hi is not None and v > hi)
        if bad or not math.isfinite(v):
            rng = f"{'(' if lo_open else '['}{lo if lo is not None else '-inf'}, {hi if hi is not None else 'inf'}]"
            raise InputError(f"expected a number in {rng}, got {value!r}", key)
        return v
    read.expected = "number" + _range(lo, hi, lo_open)
    return read


def boolean(value, key):
    if not isinstance(value, bool):
        raise InputError(f"expected true or false, got {value!r}", key)
    return value


boolean.expected = "true or false"


def string(value, key):
    if not isinstance(value, str) or not value:
        raise InputError(f"expected a non-empty string, got {value!r}", key)
    return value


string.expected = "string"


def choice(*options):
    def read(value, key):
        if isinstance(value, bool) or not isinstance(value, (str, int)) or value not in options:
            raise InputError(f"expected one of {', '.join(map(repr, options))}, got {value!r}", key)
        return value
    read.expected = "one of " + ", ".join(f"`{o}`" for o in options)
    return read


def list_of(reader, length=None, nonempty=False, maximum=None):
    def read(value, key):
        if not isinstance(value, list) or (length is not None and len(value) != length) \
                or (nonempty and not value):
            n = f"{length} " if length else ("non-empty " if nonempty else "")
            raise InputError(f"expected a {n}list of values, got {value!r}", key)
        if maximum is not None and len(value) > maximum:
            raise InputError(f"expected at most {maximum} values, got {len(value)}", key)
        return tuple(reader(v, f"{key}[{i}]") for i, v in enumerate(value))
    read.expected = f"list of {length or ''} {getattr(reader, 'expected', 'values')}".replace("  ", " ")
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
            out.append((first(p[0], f"{key}[{i}][0]"), second(p[1], f"{key}[{i}][1]")))
        return tuple(out)
    read.expected = (f"list of [{getattr(first, 'expected', 'a')}, {getattr(second, 'expected', 'b')}] pairs")
    return read


def raw(value, key):
    """Accept as is: the value is a table or name checked by its own reader later."""
    return value


raw.expected = "see its own section"


def table(value, key):
    if not isinstance(value, dict):
        raise InputError("expected a table", key)
    return value


table.expected = "table"


def section(schema, value, key, required=()):
    """Check a table against ``schema`` (name -> reader); unknown keys are errors. Returns the given
    keys only, read: defaults are the model's business."""
    if not isinstance(value, dict):
        raise InputError("expected a table", key or None)
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
