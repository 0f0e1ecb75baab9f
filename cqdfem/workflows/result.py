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


@dataclasses.dataclass
class ModeFields:
    """Vector mode fields: [(file suffix, Section, [VectorMode])]."""
    sets: list


@dataclasses.dataclass
class Result:
    kind: str
    title: str
    summary: dict                             # JSON-ready: SI values, names ending in the unit
    series: dict = dataclasses.field(default_factory=dict)    # timeseries.csv: column -> array
    tables: dict = dataclasses.field(default_factory=dict)    # other CSVs: file name -> {column: array}
    fields: object = None                     # TemperatureFields | ModeFields | StackMesh | None
    variants: tuple = ()                      # ((label, Result), ...)
    label: str | None = None
    plots: bool = True                        # the case's output.plots
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
