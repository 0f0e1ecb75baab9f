"""The ``cqdfem`` command: check, mesh, run, info.

Bad input is one line on stderr (``file: key: what was expected``) and exit code 2, on every rank
alike (validation is deterministic, so all ranks fail together; only rank 0 prints).
"""

import argparse
import json
import pathlib
import sys

from cqdfem import case as caselib
from cqdfem.errors import InputError, SolverError


def _rank():
    try:
        from mpi4py import MPI

        return MPI.COMM_WORLD.rank
    except ImportError:
        return 0


def say(*args, **kwargs):
    if _rank() == 0:
        print(*args, **kwargs, flush=True)


def load_any(path, overrides=()):
    """A geometry file (it has [[layers]]) or a case file; returns (case or None, geometry)."""
    data = caselib.read_toml(path)
    if "layers" in data:
        data = caselib.apply_overrides(data, overrides)
        return None, caselib.parse_geometry(data, pathlib.Path(path))
    case = caselib.load_case(path, overrides)
    return case, case.geometry


def cmd_check(args):
    for path in args.files:
        case, geometry = load_any(path, args.set)
        what = f"case, kind {case.kind}" if case else "geometry"
        layers = ", ".join(f"{l.name} {length(l.thickness)}" for l in geometry.layers)
        say(f"ok: {path} ({what}; {layers})")
    return 0


def length(metres):
    for unit, scale in (("mm", 1e-3), ("um", 1e-6), ("nm", 1e-9)):
        if metres >= scale:
            return f"{metres / scale:.4g} {unit}"
    return f"{metres:.4g} m"


def print_mesh_summary(summary):
    say(f"{summary['dimension']}D {summary['coordinates']} mesh: {summary['cells']} cells, "
        f"{summary['vertices']} vertices, {summary['ranks']} rank(s)")
    say(f"  {'layer':<16} {'thickness':>12} {'cells':>10} {'through':>8}  regions")
    for l in summary["layers"]:
        regions = ", ".join(f"{r}: {n}" for r, n in l["regions"].items())
        say(f"  {l['name']:<16} {length(l['thickness_m']):>12} {l['cells']:>10} {l['cells_through']:>8}  {regions}")
    say(f"  boundaries: {', '.join(summary['boundaries'])}")


def cmd_mesh(args):
    from cqdfem import mesh as meshlib

    sets = ([f"mesh.dimension={args.dimension}"] if args.dimension else []) + args.set
    _, geometry = load_any(args.geometry, sets)
    if args.dimension:     # a case's [thermal] dimension would otherwise win over mesh.dimension
        geometry = geometry.with_mesh(dimension=args.dimension)
    outputs = [pathlib.Path(o) for o in (args.output or [])]
    for o in outputs:
        if o.suffix not in (".xdmf", ".msh", ".vtu", ".vtk"):
            raise InputError(f"unsupported mesh format {o.suffix!r} (expected .xdmf, .msh, .vtu or .vtk)", "-o", o)
    sm = meshlib.create(geometry)
    print_mesh_summary(sm.summary())
    for o in outputs:
        o.parent.mkdir(parents=True, exist_ok=True)
        sm.write(o)
        say(f"wrote {o}")
    return 0


def cmd_run(args):
    from cqdfem import run

    case = caselib.load_case(args.case, args.set)
    outdir = pathlib.Path(args.output or case.sections["output"]["directory"])
    run.run_case(case, outdir, progress=False if args.quiet else None)
    files = sorted(p.name for p in outdir.iterdir()) if _rank() == 0 else []
    say(f"results in {outdir}/: {', '.join(files)}")
    if any(f.endswith(".xdmf") for f in files):
        say("  ParaView: open the .xdmf files with the 'Xdmf3 Reader T' reader")
    return 0


def cmd_info(args):
    from cqdfem import compat

    v = compat.versions()
    if args.json:
        say(json.dumps(v, indent=2))
        return 0
    say(f"cqdfem  {v['cqdfem']}")
    say(f"DOLFINx {v['dolfinx']}")
    say(f"PETSc   {v['petsc']} (scalar {v.get('petsc_scalar')})")
    say(f"SLEPc   {v['slepc']}")
    say(f"gmsh    {v['gmsh']}")
    say(f"MPI     {v['mpi']} (mpi4py {v['mpi4py']}), {v['ranks']} rank(s)")
    return 0


def parser():
    p = argparse.ArgumentParser(prog="cqdfem", description="Thermal runaway in CQD lasers (FEniCSx).")
    sub = p.add_subparsers(dest="command", required=True)
    sets = {"action": "append", "default": [], "metavar": "KEY=VALUE",
            "help": "override an entry of the file, e.g. --set mesh.film_cells=6"}
    c = sub.add_parser("check", help="validate case and geometry files without solving")
    c.add_argument("files", nargs="+")
    c.add_argument("--set", **sets)
    c.set_defaults(func=cmd_check)
    m = sub.add_parser("mesh", help="mesh a geometry (or a case's geometry) and write it")
    m.add_argument("geometry")
    m.add_argument("-o", "--output", action="append", help="output file: .xdmf, .msh, .vtu (repeatable)")
    m.add_argument("--dimension", type=int, choices=(1, 2, 3))
    m.add_argument("--set", **sets)
    m.set_defaults(func=cmd_mesh)
    r = sub.add_parser("run", help="run a case")
    r.add_argument("case")
    r.add_argument("-o", "--output", help="output directory (default: the case's output.directory)")
    r.add_argument("--set", **sets)
    r.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    r.set_defaults(func=cmd_run)
    i = sub.add_parser("info", help="versions of cqdfem, DOLFINx, PETSc, SLEPc, gmsh, MPI")
    i.add_argument("--json", action="store_true")
    i.set_defaults(func=cmd_info)
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except InputError as e:
        if _rank() == 0:
            print(str(e), file=sys.stderr, flush=True)
        return 2
    except SolverError as e:
        if _rank() == 0:
            print(f"cqdfem: solver failed: {e}", file=sys.stderr, flush=True)
        return 3
    except Exception:
        # A bug on one rank must not leave the others waiting in a collective for ever.
        from mpi4py import MPI

        if MPI.COMM_WORLD.size == 1:
            raise
        import traceback

        traceback.print_exc()
        sys.stderr.flush()
        MPI.COMM_WORLD.Abort(1)
