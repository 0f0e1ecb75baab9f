"""What a workflow returns: numbers, series and fields in memory. Nothing is printed or written
until the caller asks (:meth:`Result.write`, :func:`cqdfem.console.report`)."""

import dataclasses


@dataclasses.dataclass
class TemperatureFields:
    """Temperature snapshots at the output times and the material fields (DOLFINx Functions)."""
    mesh: object
    cell_tags: object
    materials: tuple                          # ρc, k in-plane, k cross-plane (DG0)
    snapshots: list = dataclasses.field(default_factory=list)   # [(t, Function)]

    def record(self, t, solver):
        """``on_output`` callback of :meth:`cqdfem.thermal.HeatSolver.run`: keep a copy."""
        f = solver.temperature.copy()
        f.name = solver.temperature.name
        self.snapshots.append((t, f))

    def write_xdmf(self, directory, field_format="xdmf"):
        """temperature.xdmf and/or temperature.bp (ADIOS2 VTX: ParaView's ADIOS2VTXReader; large
        fields, parallel I/O) with the snapshots, and materials.xdmf (region tags, ρc, k); collective."""
        from dolfinx.io import VTXWriter, XDMFFile

        if field_format in ("xdmf", "both"):
            with XDMFFile(self.mesh.comm, str(directory / "temperature.xdmf"), "w") as f:
                f.write_mesh(self.mesh)
                for t, u in self.snapshots:
                    f.write_function(u, t)
        if field_format in ("vtx", "both") and self.snapshots:
            out = self.snapshots[0][1].copy()        # one function, rewritten per snapshot
            out.name = self.snapshots[0][1].name
            with VTXWriter(self.mesh.comm, str(directory / "temperature.bp"), [out], engine="BP4") as f:
                for t, u in self.snapshots:
                    out.x.array[:] = u.x.array
                    f.write(t)
        with XDMFFile(self.mesh.comm, str(directory / "materials.xdmf"), "w") as f:
            f.write_mesh(self.mesh)
            f.write_meshtags(self.cell_tags, self.mesh.geometry)
            for u in self.materials:
                f.write_function(u)


@dataclasses.dataclass
class ModeFields:
    """Vector mode fields: [(file suffix, Section, [VectorMode])]."""
    sets: list

    def write_xdmf(self, directory, field_format="xdmf"):
        """modes.xdmf (modes-TM.xdmf for a uniform stack's TM solve): E_t, E_z, ``|E|²``; collective
        (field_format concerns temperature snapshots only)."""
        from cqdfem import vectormodes

        for suffix, section, modes in self.sets:
            vectormodes.write_modes(directory / f"modes{suffix}.xdmf", section, modes)


@dataclasses.dataclass
class BandFields:
    """Band-edge fields of the grating's unit cell: [(file suffix, cqdfem.bands.Bands)]."""
    sets: list

    def write_xdmf(self, directory, field_format="xdmf"):
        """bands.xdmf (bands-TM.xdmf for TM): the two band-edge fields on the cell; collective."""
        for suffix, b in self.sets:
            b.write_fields(directory / f"bands{suffix}.xdmf")


@dataclasses.dataclass
class MeshFields:
    """A mesh kind's result: the stack mesh (cqdfem.mesh.StackMesh)."""
    mesh: object

    def write_xdmf(self, directory, field_format="xdmf"):
        """mesh.xdmf (field_format concerns temperature snapshots only)."""
        self.mesh.write(directory / "mesh.xdmf")


@dataclasses.dataclass
class Result:
    kind: str
    title: str
    summary: dict                             # JSON-ready: SI values, names ending in the unit
    series: dict = dataclasses.field(default_factory=dict)    # timeseries.csv: column -> array
    tables: dict = dataclasses.field(default_factory=dict)    # other CSVs: file name -> {column: array}
    fields: object = None                     # TemperatureFields | ModeFields | BandFields | MeshFields | None
    variants: tuple = ()                      # ((label, Result), ...)
    label: str | None = None
    plots: bool = True                        # the case's output.plots
    field_format: str = "xdmf"                # the case's output.field_format (temperature snapshots)
    log_time: bool = False                    # the case's output.log_time

    def write(self, directory, comm=None):
        """summary.json, CSVs, plots and fields into ``directory`` (all ranks call it: XDMF is
        collective); files appear only once all are written."""
        from cqdfem import output

        return output.write(self, directory, comm)

    def plot(self, path=None):
        """The result's main plot as a PNG (default: into the current directory); returns its path."""
        from cqdfem import output

        return output.plot(self, path)
