"""Mutations of the shipped case and geometry files, for property-based tests of bad input.

Every mutant must give exit 0 or exit 2 with one line naming a file — never a traceback. Used by
tests/test_fuzz.py (hypothesis, bounded) and benchmarks/fuzz_inputs.py (a long seeded run).
"""

import contextlib
import copy
import io
import json
import math
import pathlib
import shutil
import tomllib

ROOT = pathlib.Path(__file__).resolve().parents[1]
FILES = sorted((ROOT / "cases").glob("*.toml")) + sorted((ROOT / "geometries").glob("*.toml"))

WEIRD_VALUES = [
    float("nan"), float("inf"), float("-inf"), -1, -1.5, 0, 0.0, 1e308, -1e308, 10 ** 30, 2 ** 70, 1e-300,
    True, False, "", " ", "nan", "inf K", "1e999 nm", "-5 nm", "0 nm", "1/0 nm", "x/0", "1 nm/0", "5 kg",
    "3 furlongs", "1e30 W/cm^2", "1e-20 s", "\x00", "\x07bell", "\u202e rtl", "nm", "120", "120 nm nm",
    "ñ µm", "1 µm", "1e9", "12 m", "🙂", "a" * 300, "../" * 30 + "x.toml", "/dev/null", "/", ".",
    [], [1, 2], ["1 um"], ["a", 1], [[1, 2]], [["295 K", 1.0], ["295 K", 2.0]], [["400 K", 0.5]],
    {}, {"a": 1}, {"name": "x"}, 1e9, 10 ** 9, 10 ** 4, 3, 4, 2, "cartesian", "axisymmetric", "vector",
]


def to_toml(data):
    """A table as TOML text (every value inline: enough for any table tomllib returns)."""
    return "".join(f"{_key(k)} = {_value(v)}\n" for k, v in data.items())


def _key(k):
    return k if k and all(c.isalnum() and c.isascii() or c in "_-" for c in k) else json.dumps(k)


def _value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(type(v))


def _paths(node, prefix=()):
    """Every (path, value) below a table, tables and lists included."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for k, v in items:
        yield prefix + (k,), v
        yield from _paths(v, prefix + (k,))


def mutate(rng, text):
    """One mutant of a TOML file's text: a structural change of its table, or damage to its bytes."""
    kind = rng.choice(["delete", "replace", "replace", "replace", "add", "truncate", "bytes", "swap"])
    if kind == "truncate":
        return text[:rng.randrange(len(text))].encode()
    if kind == "bytes":
        raw = bytearray(text.encode())
        for _ in range(rng.randint(1, 4)):
            raw.insert(rng.randrange(len(raw) + 1), rng.choice([0x00, 0xff, 0xc3, 0x80, 0x1b, 0x7f, 0x0c]))
        return bytes(raw)
    data = tomllib.loads(text)
    paths = list(_paths(data))
    for _ in range(rng.randint(1, 3)):
        path, _v = rng.choice(paths)
        parent = data
        for p in path[:-1]:
            parent = parent[p]
        try:
            if kind == "delete":
                del parent[path[-1]]
            elif kind == "replace":
                parent[path[-1]] = copy.deepcopy(rng.choice(WEIRD_VALUES))
            elif kind == "swap":
                parent[path[-1]] = copy.deepcopy(rng.choice(paths)[1])   # a copy: an ancestor would loop
            elif isinstance(parent, dict):
                parent[rng.choice(["extra", "dimension", "end_time", "wavelength", "spot", "layers"])] = \
                    copy.deepcopy(rng.choice(WEIRD_VALUES))
        except (KeyError, IndexError, TypeError):
            pass
        paths = list(_paths(data))
        if not paths:
            break
    return to_toml(data).encode()


def workspace(directory):
    """A copy of cases/ and geometries/ in ``directory`` (mutants resolve their geometry files)."""
    for sub in ("cases", "geometries"):
        shutil.copytree(ROOT / sub, directory / sub, dirs_exist_ok=True)
    return directory


def check(path):
    """(exit code, stdout, stderr) of ``cqdfem check path`` in this process. Any exception escapes."""
    from cqdfem import cli

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["check", str(path)])
    return code, out.getvalue(), err.getvalue()


def verdict(path, code, err):
    """None if the answer meets the contract, else what is wrong."""
    if code == 0:
        return None
    if code != 2:
        return f"exit {code}"
    lines = err.strip().splitlines()
    if len(lines) != 1:
        return f"{len(lines)} lines on stderr: {err[:300]!r}"
    if not lines[0].startswith(str(path.parent.parent)):
        return f"the message does not name the file: {lines[0][:200]!r}"
    return None


def one(rng, directory):
    """Make, check and judge one mutant; returns (source name, verdict or None, exit code)."""
    source = rng.choice(FILES)
    path = directory / source.parent.name / f"mutant-{source.name}"
    path.write_bytes(mutate(rng, source.read_text()))
    code, _, err = check(path)
    return source.name, verdict(path, code, err), code
