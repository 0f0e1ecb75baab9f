"""Workflows: ``(model, comm) -> Result`` for each kind of case. They solve and collect; they never
print or write files (see :mod:`cqdfem.output` and :mod:`cqdfem.console`).

    from cqdfem import model, workflows
    result = workflows.run(model.load("cases/fig4b-film-heating.toml"))
    result.summary["film_max_temperature_K"]; result.write("results/fig4b")
"""

from cqdfem import compat
from cqdfem.workflows.result import BandFields, MeshFields, ModeFields, Result, TemperatureFields



def run(model, comm=None, on_step=None, checkpoints=None, resume=False):
    """Run a case's model (with its variants); ``on_step(i, n, t)`` reports transient progress.

    ``checkpoints``: a directory where thermal and coupled runs keep their checkpoints (one
    subdirectory per variant, written every ``output.checkpoint_interval``); ``resume``: continue
    each from its last checkpoint there (a variant without one starts from t = 0).
    """
    from mpi4py import MPI

    comm = comm or MPI.COMM_WORLD
    if not model.variants:
        return _one(model, comm, on_step, _checkpointer(model, comm, checkpoints, "run"), resume)
    results = []
    for label, variant in model.variants:
        r = _one(variant, comm, _labelled(on_step, label),
                 _checkpointer(variant, comm, checkpoints, _slug(label)), resume)
        r.label = label
        results.append((label, r))
    rows = [{"label": label, "directory": _slug(label),
             **{k: v for k, v in r.summary.items()
                if k.endswith(("_K", "_s", "_m")) or k in ("source", "runaway", "steady_state", "rows", "modes")}}
            for label, r in results]
    return Result(kind=model.kind, title=model.title,
                  summary={"case": model.resolved(), "variants": rows, "versions": compat.versions()},
                  variants=tuple(results), plots=model.output.plots, log_time=model.output.log_time)


def _slug(label):
    from cqdfem.model import slug

    return slug(label)


def _labelled(on_step, label):
    if on_step is None:
        return None
    return lambda i, n, t: on_step(i, n, t, label=label)


def _checkpointer(model, comm, directory, name):
    """The Checkpointer of one (variant) run in ``directory``/``name``, keyed by its resolved input."""
    if directory is None or model.kind not in ("thermal", "coupled") or model.uncertainty is not None:
        return None
    import pathlib

    from cqdfem.checkpoint import Checkpointer, fingerprint

    case = {k: v for k, v in model.resolved().items() if k not in ("output", "file")}
    every = model.output.checkpoint_interval
    steps = every if isinstance(every, int) else None
    seconds = every if isinstance(every, float) else None
    return Checkpointer(pathlib.Path(directory) / name, comm, fingerprint(case), steps, seconds)


def _one(model, comm, on_step, checkpoint=None, resume=False):
    from cqdfem.workflows import bands, coupled, fdtr, modes, sampled, thermal

    runner = {"mesh": thermal.mesh, "thermal": thermal.thermal, "coupled": coupled.coupled,
              "sweep": coupled.sweep, "modes": modes.modes, "bands": bands.bands, "fdtr": fdtr.fdtr}[model.kind]
    if model.uncertainty is not None:        # the [uncertainty] table makes the case a sampled run
        runner = sampled.sampled
    result = runner(model, comm, on_step, **({"checkpoint": checkpoint, "resume": resume} if checkpoint else {}))
    result.plots, result.log_time = model.output.plots, model.output.log_time
    result.field_format = model.output.field_format
    return result


__all__ = ["run", "Result", "TemperatureFields", "ModeFields", "MeshFields", "BandFields"]
