"""The typed model of a case: settings (frozen, defaults in one place) and the physics objects built
from them, once. ``cqdfem check`` is :func:`load`; workflows take a :class:`Model` and return results.

From Python, without a file::

    from cqdfem import model
    from cqdfem.geometry import Geometry
    stack = Geometry.of([("substrate", "MgF2", "1 mm"), ("film", "CQD-inorganic", "120 nm", True)])
    m = model.create("thermal", stack, pump={"intensity": "88 kW/cm^2"}, film={"absorptance": 0.2, "plqy": 0.15},
                     thermal={"end_time": "4 us"})
"""

from cqdfem.model.build import create, from_table, law_from_settings, load, slug, threshold
from cqdfem.model.case import HeatSource, Model
from cqdfem.model.parts import laser_report
from cqdfem.model.settings import (BandsSettings, CouplingSettings, FilmSettings, KineticsSettings, ModesSettings,
                                   OutputSettings, PumpSettings, SolverSettings, SweepSettings,
                                   ThermalSettings, ThresholdSettings)

__all__ = ["laser_report", "threshold", "create", "from_table", "law_from_settings", "load", "slug", "HeatSource", "Model", "CouplingSettings",
           "BandsSettings", "FilmSettings", "KineticsSettings", "ModesSettings", "OutputSettings", "PumpSettings", "SolverSettings",
           "SweepSettings", "ThermalSettings", "ThresholdSettings"]
