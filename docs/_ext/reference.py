"""Generate the case-file, geometry-file and CLI references from the code (one source of truth).

For every key the schema accepts (cqdfem.inputs.schema) it writes what the reader expects (unit,
range, choices: the readers' ``expected``), the default (the typed model's dataclass field:
cqdfem.model.settings, cqdfem.geometry) and the description (the comment on that field, or on the
schema key). The CLI reference is argparse's own help of every command. Run by docs/conf.py; also
``python3 docs/_ext/reference.py OUTDIR``.
"""

import ast
import dataclasses
import io
import math
import pathlib
import sys
import tokenize

ROOT = pathlib.Path(__file__).resolve().parents[2]


def comments(path):
    """{line number: comment text} of a Python file."""
    out = {}
    with open(path, "rb") as f:
        for tok in tokenize.tokenize(f.readline):
            if tok.type == tokenize.COMMENT:
                out[tok.start[0]] = tok.string.lstrip("#").strip()
    return out


def field_docs(path, class_name):
    """{field: comment} of a dataclass's fields (the comment on the field's line, plus continuation
    comment lines right below it)."""
    text = pathlib.Path(path).read_text()
    notes, lines = comments(path), text.splitlines()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            out = {}
            for item in node.body:
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    parts, line = [], item.lineno
                    if line in notes:
                        parts.append(notes[line])
                        nxt = line + 1
                        while nxt in notes and lines[nxt - 1].strip().startswith("#"):
                            parts.append(notes[nxt])
                            nxt += 1
                    out[item.target.id] = " ".join(parts)
            return out
    return {}


def schema_key_docs(path):
    """{key: comment} for schema dict keys that sit alone on a commented line."""
    text = pathlib.Path(path).read_text()
    notes, out = comments(path), {}
    per_line = {}
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Dict):
            for k in node.keys:
                if isinstance(k, ast.Constant) and isinstance(k.value, str):
                    per_line.setdefault(k.lineno, []).append(k.value)
    for line, keys in per_line.items():
        if len(keys) == 1 and line in notes:
            out.setdefault(keys[0], notes[line])
    return out


def expected(reader):
    e = getattr(reader, "expected", None)
    if e:
        return e
    doc = (reader.__doc__ or "").strip().splitlines()
    return doc[0] if doc else "see the section"


def default(cls, name):
    if cls is None:
        return ""
    for f in dataclasses.fields(cls):
        if f.name == name:
            if f.default is not dataclasses.MISSING:
                return _show(f.default)
            if f.default_factory is not dataclasses.MISSING:
                return _show(f.default_factory())
            return "required"
    return ""


def _show(v):
    if v is None:
        return "—"
    if isinstance(v, float):
        if math.isinf(v):
            return "∞"
        return f"{v:g}"
    if isinstance(v, (dict, tuple, list)) and not v:
        return "empty"
    return f"`{v}`"


def _cell(s):
    return str(s).replace("|", "\\|").replace("\n", " ")


def table_md(title, schema, cls, docs, anchor_note=""):
    lines = [f"### `{title}`", ""]
    if anchor_note:
        lines += [anchor_note, ""]
    lines += ["| key | expects | default | what it is |", "|---|---|---|---|"]
    for key in schema:
        d = docs.get(key, "")
        lines.append(f"| `{key}` | {_cell(expected(schema[key]))} | {_cell(default(cls, key))} | {_cell(d)} |")
    return "\n".join(lines) + "\n"


def documented(title, keys, cls, key_docs):
    """:func:`table_md` with the dataclass's own field comments over the schema's."""
    docs = {**key_docs, **(field_docs(sys.modules[cls.__module__].__file__, cls.__name__) if cls else {})}
    return table_md(title, keys, cls, docs)


def cases_md():
    from cqdfem.inputs import schema
    from cqdfem.model import settings

    key_docs = schema_key_docs(schema.__file__)
    out = ["# Case files: every key", "",
           "Generated from `cqdfem/inputs/schema.py` (what each key accepts) and `cqdfem/model/settings.py` "
           "(defaults and descriptions). Quantities take units (`\"120 nm\"`, `\"51 kW/cm^2\"`); "
           "inside, everything is SI. `cqdfem check CASE` validates a file without solving.", "",
           "## Top level", "", table_md("case", schema.TOP, None, key_docs),
           "## Sections", ""]
    for name, keys in schema.CASE.items():
        out.append(documented(f"[{name}]", keys, getattr(settings, f"{name.capitalize()}Settings", None), key_docs))
    out += ["## Variants", "", table_md("[[variants]]", schema.VARIANT, None, key_docs)]
    return "\n".join(out)


def geometry_md():
    from cqdfem import geometry
    from cqdfem.inputs import schema

    key_docs = schema_key_docs(schema.__file__)
    out = ["# Geometry files: every key", "",
           "Generated from `cqdfem/inputs/schema.py` and `cqdfem/geometry.py`. Layers are listed bottom "
           "first; a layer's `material` is a library name (`cqdfem/data/materials.toml`) or an inline "
           "table.", "",
           table_md("geometry", schema.GEOMETRY, None, key_docs),
           documented("[[layers]]", schema.LAYER, geometry.Layer, key_docs),
           documented("[mesh]", schema.MESH, geometry.MeshOptions, key_docs),
           table_md("[domain]", schema.DOMAIN, None, key_docs),
           documented("[layers.pillars]", schema.PILLARS, geometry.Pillars, key_docs),
           documented("[laser]", schema.LASER, geometry.Laser, key_docs)]
    return "\n".join(out)


def cli_md():
    from cqdfem import cli

    p = cli.parser()
    out = ["# Command line: every command", "",
           "Generated from `cqdfem/cli.py` (argparse's own help). Inside the runtime: "
           "`containers/fenicsx cqdfem COMMAND ...`; under MPI: `containers/fenicsx mpirun -n 2 cqdfem run CASE`.",
           "", "```text", p.format_help().rstrip(), "```", ""]
    sub = next(a for a in p._actions if a.__class__.__name__ == "_SubParsersAction")
    for name, sp in sub.choices.items():
        buf = io.StringIO()
        sp.print_help(buf)
        out += [f"## `cqdfem {name}`", "", "```text", buf.getvalue().rstrip(), "```", ""]
    return "\n".join(out)


def write(outdir):
    outdir = pathlib.Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    for name, make in (("cases.md", cases_md), ("geometry.md", geometry_md), ("cli.md", cli_md)):
        text = make()
        path = outdir / name
        if not path.exists() or path.read_text() != text:      # unchanged files keep Sphinx's cache
            path.write_text(text)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    write(sys.argv[1] if len(sys.argv) > 1 else ROOT / "docs" / "_generated")
