"""Checkpoint and restart of a transient run: a job killed by a scheduler continues where it was.

A :class:`Checkpointer` is handed to :meth:`cqdfem.thermal.HeatSolver.run`. Every ``interval``
(accepted steps, or wall seconds: decided on rank 0 and broadcast, so all ranks agree) it writes the
whole state of the time loop — the time and step number, the temperature and the previous
temperature the BDF2 step needs, the step size, the time plan's state (the adaptive plan's accepted
history too), the time series so far, the energy integrals and the field snapshots — into a new
directory ``step-<i>`` and only then points ``manifest.json`` at it (written to a temporary file and
renamed: atomic on POSIX). A checkpoint cut short by a kill is therefore never read; older ones are
removed once the manifest has moved on.

Fields are stored with the coordinates of their degrees of freedom and matched by coordinate on
restart (a k-d tree), so a run may resume on a different number of MPI ranks. The manifest carries
a fingerprint of the case (its fully resolved input) and of the function space; a checkpoint of a
different case or mesh is refused, not silently continued.
"""

import hashlib
import json
import os
import pathlib
import shutil
import time

import numpy as np

MANIFEST = "manifest.json"


def fingerprint(obj):
    """A short hash of a JSON-able object (the resolved case without its output settings)."""
    text = json.dumps(obj, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class CheckpointError(ValueError):
    """A checkpoint that exists but cannot be used (another case, another mesh)."""


class Checkpointer:
    """Writes (``save``) and reads (``load``) checkpoints of one transient run in ``directory``.

    ``steps``: every this many accepted steps; ``seconds``: every this many wall seconds (either or
    both; neither: only :meth:`load` is used). ``key``: the case fingerprint.
    """

    def __init__(self, directory, comm, key, steps=None, seconds=None):
        self.directory = pathlib.Path(directory)
        self.comm, self.key, self.steps, self.seconds = comm, key, steps, seconds
        self.last_wall = time.monotonic()

    # -- writing -----------------------------------------------------------------------------------

    def due(self, i):
        """Whether to write after accepted step ``i`` (the same answer on every rank)."""
        if self.steps is None and self.seconds is None:
            return False
        go = None
        if self.comm.rank == 0:
            go = bool((self.steps and i % self.steps == 0)
                      or (self.seconds is not None and time.monotonic() - self.last_wall >= self.seconds))
        return self.comm.bcast(go, root=0)

    def save(self, space, scalars, series, fields):
        """Write one checkpoint (collective). ``space``: the DOLFINx function space of ``fields``
        ({name: local array of owned + ghost values}); ``scalars``: JSON-able state; ``series``:
        {column: list of numbers}."""
        coords, values = _gather(space, fields, self.comm)
        name = f"step-{int(scalars['i'])}"
        if self.comm.rank == 0:
            self.directory.mkdir(parents=True, exist_ok=True)
            target = self.directory / name
            shutil.rmtree(target, ignore_errors=True)
            tmp = self.directory / f".{name}.partial"
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir()
            np.savez(tmp / "fields.npz", coordinates=coords, **values)
            np.savez(tmp / "series.npz", **{k: np.asarray(v, float) for k, v in series.items()})
            (tmp / "state.json").write_text(json.dumps(scalars))
            _fsync_dir(tmp)
            tmp.rename(target)
            manifest = {"checkpoint": name, "key": self.key, "dofs": int(len(coords)), "t": scalars["t"],
                        "i": scalars["i"], "written": time.strftime("%Y-%m-%dT%H:%M:%S")}
            part = self.directory / (MANIFEST + ".partial")
            part.write_text(json.dumps(manifest, indent=1))
            os.replace(part, self.directory / MANIFEST)          # the atomic switch
            _fsync_dir(self.directory)
            for old in self.directory.glob("step-*"):
                if old.name != name:
                    shutil.rmtree(old, ignore_errors=True)
        self.comm.barrier()
        self.last_wall = time.monotonic()

    # -- reading -----------------------------------------------------------------------------------

    def load(self, space):
        """(scalars, series, {name: local array}) of the manifest's checkpoint, or None if there is
        none; CheckpointError if it belongs to another case or mesh (collective)."""
        from scipy.spatial import cKDTree

        data, problem = None, None
        if self.comm.rank == 0:
            try:
                data = _read(self.directory, self.key)
            except CheckpointError as e:
                problem = str(e)
        problem = self.comm.bcast(problem, root=0)
        if problem:
            raise CheckpointError(problem)
        data = self.comm.bcast(data, root=0)
        if data is None:
            return None
        scalars, series, coords, values = data
        imap = space.dofmap.index_map
        n_global = imap.size_global * space.dofmap.index_map_bs
        if len(coords) != n_global:
            raise CheckpointError(f"the checkpoint in {self.directory} has {len(coords)} unknowns, this mesh "
                                  f"{n_global}: not the same model")
        mine = space.tabulate_dof_coordinates()
        dist, idx = cKDTree(coords).query(mine)
        scale = max(float(np.ptp(coords, axis=0).max()), 1e-30)
        if len(dist) and dist.max() > 1e-9 * scale:
            raise CheckpointError(f"the checkpoint in {self.directory} was written on another mesh")
        return scalars, series, {k: v[idx] for k, v in values.items()}


def _read(directory, key):
    path = pathlib.Path(directory) / MANIFEST
    if not path.exists():
        return None
    try:
        manifest = json.loads(path.read_text())
        where = pathlib.Path(directory) / manifest["checkpoint"]
        if manifest["key"] != key:
            raise CheckpointError(f"the checkpoint in {directory} belongs to another case (or other inputs): "
                                  "remove it, or run without --resume")
        with np.load(where / "fields.npz") as f:
            coords = f["coordinates"]
            values = {k: f[k] for k in f.files if k != "coordinates"}
        with np.load(where / "series.npz") as f:
            series = {k: f[k].tolist() for k in f.files}
        scalars = json.loads((where / "state.json").read_text())
    except CheckpointError:
        raise
    except (OSError, ValueError, KeyError) as e:
        raise CheckpointError(f"the checkpoint in {directory} cannot be read ({e})") from None
    return scalars, series, coords, values


def _gather(space, fields, comm):
    """(coordinates, {name: values}) of every owned dof, on rank 0 (None elsewhere)."""
    n = space.dofmap.index_map.size_local
    X = space.tabulate_dof_coordinates()[:n]
    parts = comm.gather((X, {k: np.asarray(v[:n]) for k, v in fields.items()}), root=0)
    if comm.rank != 0:
        return None, None
    coords = np.concatenate([p[0] for p in parts])
    return coords, {k: np.concatenate([p[1][k] for p in parts]) for k in fields}


def _fsync_dir(path):
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
