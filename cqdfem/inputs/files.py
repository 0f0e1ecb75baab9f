"""Reading TOML files and applying ``--set KEY=VALUE`` overrides. Every failure is an
:class:`InputError` naming the file (and key) — never a traceback, whatever the bytes on disk."""

import copy
import pathlib
import re
import tomllib

from cqdfem.errors import InputError

MAX_BYTES = 4 * 2 ** 20      # a case or geometry file is a few kB; refuse what cannot be one


def read_toml(path, key=None, file=None):
    """The table of a TOML file. ``key``/``file``: where the name came from (for messages)."""
    where = file or path
    try:
        path = pathlib.Path(path)
        with open(path, "rb") as f:
            data = f.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise InputError("file does not exist", key, where) from None
    except IsADirectoryError:
        raise InputError("expected a file, got a directory", key, where) from None
    except PermissionError:
        raise InputError("cannot read the file (permission denied)", key, where) from None
    except (OSError, ValueError) as e:       # symlink loops, names too long, NUL bytes in names
        raise InputError(f"cannot open the file ({getattr(e, 'strerror', None) or e})", key, where) from None
    if len(data) > MAX_BYTES:
        raise InputError(f"expected a TOML file of at most {MAX_BYTES // 2 ** 20} MB", key, where)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"not valid TOML (not UTF-8 text: byte {e.start})", None, path) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"not valid TOML ({e})", None, path) from None
    except RecursionError:
        raise InputError("not valid TOML (nested too deeply)", None, path) from None


def key_steps(path, key):
    """``"layers[1].thickness"`` -> ["layers", 1, "thickness"]; InputError (at ``key``) if malformed."""
    steps = []
    for part in path.strip().split("."):
        m = re.fullmatch(r"([A-Za-z_][\w-]*)((?:\[\d+\])*)", part)
        if not m:
            raise InputError(f"cannot parse key {path!r} (expected a.b.c or layers[1].thickness)", key)
        steps.append(m.group(1))
        steps += [int(i) for i in re.findall(r"\[(\d+)\]", m.group(2))]
    return steps


_TOML_NUMBER = re.compile(r"[+-]?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?")


def _value(text):
    """An override's value: TOML if it parses, else the string. A plain number (what a sampled run
    writes, thousands of times) skips the TOML parser."""
    m = _TOML_NUMBER.fullmatch(text.strip())
    if m:
        return float(text) if m.group(1) or m.group(2) else int(text)
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except (tomllib.TOMLDecodeError, KeyError):
        return text


def apply_overrides(data, overrides):
    """Apply ``key.path=value`` strings (value as TOML if it parses, else a string)."""
    data = copy.deepcopy(data)
    for item in overrides or ():
        if "=" not in item:
            raise InputError(f"expected KEY=VALUE, got {item!r}", "--set")
        path, text = item.split("=", 1)
        value = _value(text)
        steps = key_steps(path, "--set")
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


def split_overrides(data, overrides):
    """(data with the case's overrides applied, the ``geometry.*`` ones meant for its geometry file).

    ``geometry.<key>=value`` reaches into the geometry file when the case names one, e.g.
    ``geometry.layers[1].thickness='60 nm'``.
    """
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
