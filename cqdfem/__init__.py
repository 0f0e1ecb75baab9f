"""cqdfem: finite-element models of thermal runaway in colloidal-quantum-dot lasers (FEniCSx)."""

__version__ = "0.1.0"
