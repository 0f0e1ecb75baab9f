"""Input files: TOML reading, ``--set`` overrides and the schema readers. Parses only: the typed
model (:mod:`cqdfem.model`) is built from what these return."""

from cqdfem.inputs.files import apply_overrides, read_toml, split_overrides
from cqdfem.inputs.readers import (boolean, choice, integer, list_of, number, pairs, quantity, raw,
                                   section, string)

__all__ = ["apply_overrides", "read_toml", "split_overrides", "boolean", "choice", "integer", "list_of",
           "number", "pairs", "quantity", "raw", "section", "string"]
