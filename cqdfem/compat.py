"""The one place that knows the differences between DOLFINx 0.9, 0.10 and 0.11.

Everything else in cqdfem calls these helpers instead of version-specific API:
- the gmsh reader: ``dolfinx.io.gmshio.model_to_mesh`` -> tuple (0.9) vs ``dolfinx.io.gmsh`` ->
  ``MeshData`` (0.10+);
- ``LinearProblem(..., petsc_options_prefix=...)`` required from 0.10;
- ``fem.petsc.create_vector(form)`` (0.9) vs ``create_vector(function space)`` (0.10+);
- ``fem.petsc.assemble_matrix(..., diagonal=)`` (0.9) vs ``diag=`` (0.10+);
- ``mesh.geometry.dofmap`` deprecated for ``dofmaps[0]`` in 0.11;
- ``dolfinx.mesh.create_mesh(comm, cells, x, e)`` (0.9) vs ``(comm, cells, e, x)`` (0.10+).
"""

import functools
import inspect


@functools.lru_cache(maxsize=None)
def dolfinx_version():
    """(major, minor) of the imported DOLFINx."""
    import dolfinx

    major, minor = dolfinx.__version__.split(".")[:2]
    return int(major), int(minor)


def gmsh_session_start():
    """Initialise gmsh (quietly) if needed; returns the module and whether we started it."""
    import gmsh

    started = not gmsh.isInitialized()
    if started:
        # interruptible=False: gmsh's signal handler cannot be installed off the main thread.
        gmsh.initialize(interruptible=False)
    gmsh.option.setNumber("General.Terminal", 0)
    gmsh.option.setNumber("General.Verbosity", 1)
    gmsh.started_by_cqdfem = started
    return gmsh


def gmsh_session_end(gmsh):
    """Remove our model; finalise gmsh if we initialised it."""
    if gmsh is None:
        return
    if gmsh.isInitialized():
        gmsh.clear()
        if getattr(gmsh, "started_by_cqdfem", False):
            gmsh.finalize()


def model_to_mesh(model, comm, rank, gdim):
    """(mesh, cell_tags, facet_tags) from a gmsh model that exists on ``rank``."""
    if dolfinx_version() >= (0, 10):
        from dolfinx.io import gmsh as gmshio

        data = gmshio.model_to_mesh(model, comm, rank, gdim=gdim)
        return data.mesh, data.cell_tags, data.facet_tags
    from dolfinx.io import gmshio

    return gmshio.model_to_mesh(model, comm, rank, gdim=gdim)


def create_mesh(comm, cell_type, x, cells, destinations=None):
    """An affine (degree-1) mesh from input distributed over the ranks in any way.

    ``x`` holds this rank's block of the global node list (rank order: its first row is global node
    sum of the lower ranks' rows); ``cells`` use global node numbers and may sit on any rank.
    ``destinations(cells)`` (optional) gives the owning rank of each of this rank's cells in place of
    DOLFINx's graph partitioner. ``create_mesh`` swapped its ``x`` and element arguments in 0.10,
    hence keywords; its partitioner gets (comm, n, cell types, [cells]) in 0.9 and 0.11 alike, and
    must return the C++ adjacency list, which 0.10+ wraps in a Python class.
    """
    import basix.ufl
    import numpy as np
    import ufl
    from dolfinx import graph
    from dolfinx import mesh as dmesh

    cell_type = {"line": "interval", "tetra": "tetrahedron"}.get(cell_type, cell_type)   # meshio -> basix
    domain = ufl.Mesh(basix.ufl.element("Lagrange", cell_type, 1, shape=(x.shape[1],), dtype=np.float64))
    partitioner = None
    if destinations is not None and comm.size > 1:
        width = cells.shape[1]

        def partitioner(comm_, parts, cell_types, local):
            flat = np.asarray(local[0], dtype=np.int64).reshape(-1, width)
            ranks = graph.adjacencylist(np.ascontiguousarray(destinations(flat), dtype=np.int32))
            return getattr(ranks, "_cpp_object", ranks)
    return dmesh.create_mesh(comm, cells=np.ascontiguousarray(cells, dtype=np.int64),
                             x=np.ascontiguousarray(x, dtype=np.float64), e=domain, partitioner=partitioner)


def write_mesh_xdmf(path, mesh, cell_tags=None, facet_tags=None):
    """Write a mesh and its tags to one XDMF file (ParaView: Xdmf3ReaderT)."""
    from dolfinx.io import XDMFFile

    if facet_tags is not None:
        mesh.topology.create_connectivity(mesh.topology.dim - 1, mesh.topology.dim)
    with XDMFFile(mesh.comm, str(path), "w") as f:
        f.write_mesh(mesh)
        for tags in (cell_tags, facet_tags):
            if tags is not None:
                f.write_meshtags(tags, mesh.geometry)


def linear_problem(a, L, bcs=(), petsc_options=None, prefix="cqdfem_"):
    from dolfinx.fem.petsc import LinearProblem

    kwargs = {"bcs": list(bcs), "petsc_options": petsc_options or {}}
    if "petsc_options_prefix" in inspect.signature(LinearProblem.__init__).parameters:
        kwargs["petsc_options_prefix"] = prefix
    return LinearProblem(a, L, **kwargs)


def create_vector(form):
    """A PETSc vector for the compiled linear ``form``."""
    from dolfinx.fem import petsc

    if dolfinx_version() >= (0, 10):
        return petsc.create_vector(form.function_spaces[0])
    return petsc.create_vector(form)


def assemble_matrix(form, bcs=(), diagonal=1.0):
    """Assemble a PETSc matrix with ``diagonal`` on Dirichlet rows (keyword renamed in 0.10)."""
    from dolfinx.fem import petsc

    params = inspect.signature(petsc.assemble_matrix).parameters
    key = "diag" if "diag" in params else "diagonal"
    A = petsc.assemble_matrix(form, bcs=list(bcs), **{key: diagonal})
    A.assemble()
    return A


def geometry_dofmap(mesh):
    """Cell -> geometry nodes (``geometry.dofmaps[0]`` from 0.11, ``geometry.dofmap`` before)."""
    g = mesh.geometry
    if dolfinx_version() >= (0, 11):
        return g.dofmaps[0]
    return g.dofmap


def versions():
    """Versions of the stack for ``cqdfem info`` and summary.json."""
    import cqdfem

    out = {"cqdfem": cqdfem.__version__}
    try:
        import dolfinx

        out["dolfinx"] = dolfinx.__version__
    except ImportError as e:
        out["dolfinx"] = f"not importable ({e})"
    try:
        from petsc4py import PETSc

        out["petsc"] = "{}.{}.{}".format(*PETSc.Sys.getVersion())
        out["petsc_scalar"] = str(PETSc.ScalarType.__name__)
    except ImportError:
        out["petsc"] = None
    try:
        from slepc4py import SLEPc

        out["slepc"] = "{}.{}.{}".format(*SLEPc.Sys.getVersion())
    except ImportError:
        out["slepc"] = None
    try:
        import gmsh

        out["gmsh"] = gmsh.__version__
    except ImportError:
        out["gmsh"] = None
    from mpi4py import MPI

    out["mpi"] = MPI.Get_library_version().splitlines()[0].strip()
    out["mpi4py"] = __import__("mpi4py").__version__
    out["ranks"] = MPI.COMM_WORLD.size
    return out
