"""Reading TOML files and applying ``--set KEY=VALUE`` overrides. Every failure is an
:class:`InputError` naming the file (and key) — never a traceback, whatever the bytes on disk."""

import copy
import pathlib
import re
import tomllib

from cqdfem.errors import InputError

MAX_BYTES = 4 * 2 ** 20      # a case or geometry file is a few kB; refuse what cannot be one


def _read_bytes(path, key, where, kind):
    """A file's bytes (at most MAX_BYTES); any failure is one InputError at ``where`` (the file that
    named it) and ``key``."""
    try:
        with open(pathlib.Path(path), "rb") as f:
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
        raise InputError(f"expected a {kind} file of at most {MAX_BYTES // 2 ** 20} MB", key, where)
    return data


def read_toml(path, key=None, file=None):
    """The table of a TOML file. ``key``/``file``: where the name came from (for messages)."""
    data = _read_bytes(path, key, file or path, "TOML")
    path = pathlib.Path(path)
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


def read_columns(path, columns, key=None, file=None, max_rows=100_000):
    """Named numeric columns of a CSV file (a header row, then numbers) as {name: list of float}.
    Every failure is one InputError naming the file, the key it came from and the line."""
    import csv
    import io
    import math

    data = _read_bytes(path, key, file or path, "CSV")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(f"not a CSV text file (not UTF-8: byte {e.start})", key, path) from None
    try:
        rows = [r for r in csv.reader(io.StringIO(text)) if any(c.strip() for c in r)]
    except csv.Error as e:
        raise InputError(f"not valid CSV ({e})", key, path) from None
    if not rows:
        raise InputError(f"empty: expected a header with {', '.join(columns)} and rows of numbers", key, path)
    header = [c.strip() for c in rows[0]]
    missing = [c for c in columns if c not in header]
    if missing:
        raise InputError(f"expected columns {', '.join(columns)} in the header, missing {', '.join(missing)}",
                         key, path)
    if len(rows) - 1 > max_rows:
        raise InputError(f"expected at most {max_rows} rows, got {len(rows) - 1}", key, path)
    out = {c: [] for c in columns}
    index = {c: header.index(c) for c in columns}
    for line, row in enumerate(rows[1:], start=2):
        for c, i in index.items():
            try:
                v = float(row[i])
            except (IndexError, ValueError):
                raise InputError(f"line {line}: expected a number in column {c}, got "
                                 f"{row[i] if i < len(row) else 'nothing'!r}", key, path) from None
            if not math.isfinite(v):
                raise InputError(f"line {line}: expected a finite number in column {c}, got {row[i]!r}", key, path)
            out[c].append(v)
    return out
