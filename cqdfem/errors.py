"""The one exception type for bad user input.

Every validation failure names where it happened (file and dotted key) and what was expected, so
the CLI can print a single line and exit with code 2 instead of a traceback.
"""


class InputError(Exception):
    """Bad user input: ``file: key: what was expected``."""

    def __init__(self, message, key=None, file=None):
        super().__init__(message)
        self.message = message
        self.key = key
        self.file = str(file) if file else None

    def at(self, key=None, file=None):
        """Fill in the location where the raiser did not know it."""
        self.key = self.key or key
        self.file = self.file or (str(file) if file else None)
        return self

    def __str__(self):
        return _printable(": ".join([p for p in (self.file, self.key) if p] + [self.message]))


def _printable(text, limit=600):
    """One line of printable text: control characters escaped (a message echoes user bytes), and a
    runaway echo cut short."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return text if len(text) <= limit else text[:limit] + "..."


class SolverError(RuntimeError):
    """A solve failed (did not converge): the field would be wrong, so the run stops (exit code 3)."""
