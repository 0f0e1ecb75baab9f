"""Uncertain inputs: distributions written as quantities, quasi-Monte Carlo samples, quantiles and
Sobol indices (physics.md §11). Usable alone; the case-file `[uncertainty]` table builds on it.

Distributions (a quantity in any unit of the input's dimension; SI inside):

    "0.24 ± 0.04 W/m/K"  or "0.24 +- 0.04 W/m/K"   normal, mean ± standard deviation
    "normal(0.24 W/m/K, 0.04 W/m/K)"                 the same
    "uniform(0.10, 0.20)"                            uniform on [a, b]
    "lognormal(1.0e-14 cm^2, x2)"  or "1.0e-14 cm^2 ×/÷ 2"   median m, one geometric standard
                                                     deviation ×/÷ s (68 % within [m/s, m·s])

Centred on a value the case already has (``base``), as the library's published uncertainties are:

    "± 0.04 W/m/K"      normal about the base, absolute standard deviation
    "± 5 %"             normal about the base, relative standard deviation
    "×/÷ 2"             lognormal with the base as median
    "× uniform(1, 2)"   any distribution of a factor on the base ("× normal(1, 0.1)", ...)

A distribution may be truncated to where the physics lives (``bounds``: a conductivity > 0, a
PLQY in [0, 1]); sampling maps a uniform number through the truncated inverse CDF, so scrambled Sobol
points stay low-discrepancy in the physical space. Sobol indices come from
:func:`scipy.stats.sobol_indices` (Saltelli 2010 first order, Jansen total), with bootstrap
confidence intervals.
"""

import dataclasses
import math
import re

import numpy as np

from cqdfem import units
from cqdfem.errors import InputError

_PM = re.compile(r"^\s*(.+?)\s*(?:±|\+-|\+/-)\s*(.+?)\s*$")
_TIMES = re.compile(r"^\s*(.+?)\s*(?:×/÷|x/÷|\*/|x/)\s*([0-9.eE+-]+)\s*$")
_CENTRED_PM = re.compile(r"^\s*(?:±|\+-|\+/-)\s*(.+?)\s*$")
_CENTRED_TIMES = re.compile(r"^\s*(?:×/÷|x/÷|\*/|x/)\s*([0-9.eE+-]+)\s*$")
_FACTOR = re.compile(r"^\s*(?:×|x)\s*((?:normal|uniform|lognormal)\s*\(.*\))\s*$", re.S)
_CALL = re.compile(r"^\s*(normal|uniform|lognormal)\s*\((.*)\)\s*$", re.S)


@dataclasses.dataclass(frozen=True)
class Distribution:
    kind: str                      # normal | uniform | lognormal
    a: float                       # normal: mean; uniform: low; lognormal: median (SI)
    b: float                       # normal: std; uniform: high; lognormal: geometric std (factor > 1)
    bounds: tuple = (-math.inf, math.inf)   # truncation, SI
    text: str = ""

    def _frozen(self):
        from scipy import stats

        if self.kind == "normal":
            return stats.norm(self.a, self.b)
        if self.kind == "uniform":
            return stats.uniform(self.a, self.b - self.a)
        return stats.lognorm(math.log(self.b), scale=self.a)

    def ppf(self, u):
        """Values for uniform numbers ``u`` in (0, 1): the inverse CDF of the truncated law."""
        d = self._frozen()
        lo, hi = (d.cdf(x) for x in self.bounds)
        return d.ppf(lo + np.asarray(u, float) * (hi - lo))

    @property
    def median(self):
        return float(self.ppf(0.5))

    def describe(self):
        return {"distribution": self.kind, "parameters_SI": [self.a, self.b],
                "truncated_to": [None if math.isinf(x) else x for x in self.bounds], "as_written": self.text}


def centred(text):
    """Is ``text`` written about the case's own value ("± 0.04 W/m/K", "± 5 %", "×/÷ 2",
    "× uniform(1, 2)")?"""
    return isinstance(text, str) and bool(_CENTRED_PM.match(text) or _CENTRED_TIMES.match(text)
                                          or _FACTOR.match(text))


def relative(text):
    """Is ``text`` a distribution of a factor on the case's value ("± 5 %", "×/÷ 2", "× uniform(1, 2)")?"""
    return isinstance(text, str) and bool(_CENTRED_TIMES.match(text) or _FACTOR.match(text) or
                                          (_CENTRED_PM.match(text) and text.strip().endswith("%")))


def parse(text, unit, key, bounds=(-math.inf, math.inf), base=None):
    """A :class:`Distribution` from its string (see the module docstring); InputError if bad.
    ``base``: the value a centred distribution is about (SI)."""
    if not isinstance(text, str):
        raise InputError(f"expected a distribution such as '0.24 ± 0.04 {unit}', got {text!r}", key)
    q = lambda s: units.parse(s.strip(), unit, key)                       # noqa: E731
    m = _CALL.match(text)
    try:
        if centred(text):
            if base is None:
                raise InputError(f"{text!r} is centred on a value the input does not have here: write the "
                                 "mean, e.g. '0.24 ± 0.04 W/m/K'", key)
            if _FACTOR.match(text):
                f = parse(_FACTOR.match(text).group(1), "", key)
                scale = (base, base) if f.kind != "lognormal" else (base, 1.0)
                d = Distribution(f.kind, f.a * scale[0], f.b * scale[1], bounds, text)
            elif _CENTRED_TIMES.match(text):
                d = Distribution("lognormal", base, _number(_CENTRED_TIMES.match(text).group(1), key), bounds, text)
            else:
                dev = _CENTRED_PM.match(text).group(1)
                if dev.endswith("%"):
                    std = abs(base) * _number(dev[:-1].strip(), key) / 100
                else:
                    std = q(dev) if unit else _number(dev, key)
                d = Distribution("normal", base, std, bounds, text)
        elif m:
            kind, args = m.group(1), [a for a in m.group(2).split(",")]
            if len(args) != 2:
                raise InputError(f"expected {kind}(a, b), got {text!r}", key)
            if kind == "lognormal":
                factor = args[1].strip().lstrip("x×*").strip()
                d = Distribution(kind, q(args[0]), _number(factor, key), bounds, text)
            else:
                d = Distribution(kind, q(args[0]), q(args[1]), bounds, text)
        elif _PM.match(text):
            mean, std = _PM.match(text).groups()
            # "0.24 ± 0.04 W/m/K": the unit written once, after the deviation
            unit_text = re.sub(r"^[\s0-9.eE+-]+", "", std)
            if unit_text and not re.search(r"[A-Za-zµ°%]", mean):
                mean = f"{mean} {unit_text}"
            d = Distribution("normal", q(mean), q(std), bounds, text)
        elif _TIMES.match(text):
            median, factor = _TIMES.match(text).groups()
            d = Distribution("lognormal", q(median), _number(factor, key), bounds, text)
        else:
            raise InputError("expected a distribution: 'a ± s unit', 'normal(a, s)', 'uniform(a, b)', "
                             f"'lognormal(median, x factor)' or 'median ×/÷ factor', got {text!r}", key)
    except InputError as e:
        raise InputError(f"{e.message} (in the distribution {text!r})", key) from None
    _check(d, key)
    return d


def _number(text, key):
    try:
        return float(text)
    except ValueError:
        raise InputError(f"expected a number, got {text!r}", key) from None


def _check(d, key):
    if not all(math.isfinite(x) for x in (d.a, d.b)):
        raise InputError(f"expected finite parameters, got {d.text!r}", key)
    if d.kind == "normal" and not d.b > 0:
        raise InputError(f"expected a positive standard deviation, got {d.text!r}", key)
    if d.kind == "uniform" and not d.b > d.a:
        raise InputError(f"expected uniform(a, b) with a < b, got {d.text!r}", key)
    if d.kind == "lognormal" and not (d.a > 0 and d.b > 1):
        raise InputError(f"expected a positive median and a factor > 1, got {d.text!r}", key)
    lo, hi = d.bounds
    if float(d._frozen().cdf(hi) - d._frozen().cdf(lo)) < 1e-6:
        raise InputError(f"the distribution {d.text!r} lies outside where the input is physical "
                         f"([{lo:g}, {hi:g}])", key)


def sample(distributions, n, seed=0):
    """(n, d) values: scrambled Sobol points (seeded, reproducible) through each inverse CDF.
    ``n`` a power of two keeps the sequence balanced."""
    from scipy.stats import qmc

    u = qmc.Sobol(d=len(distributions), scramble=True, seed=seed).random(n)
    return np.column_stack([d.ppf(u[:, j]) for j, d in enumerate(distributions)])


def design(distributions, n, seed=0, indices=True):
    """The sample matrices of a Sobol-index study, as values (SI): A and B (n, d) from one scrambled
    Sobol sequence in 2d dimensions (seeded), and AB (d, n, d), A with column i taken from B (Saltelli).
    A alone is the sample for quantiles; ``indices=False`` makes only A (B and AB are None)."""
    from scipy.stats import qmc

    d = len(distributions)
    u = qmc.Sobol(d=2 * d if indices else d, scramble=True, seed=seed).random(n)
    values = lambda cols: np.column_stack([dist.ppf(cols[:, j]) for j, dist in enumerate(distributions)])  # noqa: E731
    A = values(u[:, :d])
    if not indices:
        return A, None, None
    B = values(u[:, d:])
    AB = np.repeat(A[None], d, axis=0)
    for i in range(d):
        AB[i, :, i] = B[:, i]
    return A, B, AB


def sobol_from(f_A, f_B, f_AB, confidence=0.95, resamples=200, seed=0):
    """Sobol indices from evaluations on :func:`design`'s matrices: f_A, f_B (s, n), f_AB (d, s, n);
    scipy's Saltelli (first order) and Jansen (total) estimators, with percentile-bootstrap confidence
    intervals from a seeded generator (scipy's own bootstrap of these indices takes no seed, and a
    table must be reproducible). Returns one {"first", "total", "first_ci", "total_ci"} per output."""
    from scipy import stats

    f_A, f_B = np.atleast_2d(f_A), np.atleast_2d(f_B)
    n = f_A.shape[-1]
    f_AB = np.asarray(f_AB).reshape(-1, f_A.shape[0], n)
    d, s = f_AB.shape[0], f_A.shape[0]

    def indices(idx):
        r = stats.sobol_indices(func={"f_A": f_A[:, idx], "f_B": f_B[:, idx], "f_AB": f_AB[..., idx]}, n=n)
        return np.concatenate([np.ravel(r.first_order), np.ravel(r.total_order)])

    est = indices(np.arange(n))
    boot = stats.bootstrap([np.arange(n)], indices, method="percentile", n_resamples=resamples,
                           confidence_level=confidence, vectorized=False, rng=np.random.default_rng(seed))
    lo, hi = boot.confidence_interval.low, boot.confidence_interval.high
    half = s * d
    out = []
    for k in range(s):
        sl = lambda a, off: np.asarray(a[off:off + half]).reshape(s, d)[k]       # noqa: E731
        out.append({"first": sl(est, 0), "total": sl(est, half),
                    "first_ci": np.stack([sl(lo, 0), sl(hi, 0)], axis=1),
                    "total_ci": np.stack([sl(lo, half), sl(hi, half)], axis=1)})
    return out


def quantiles(values, probabilities=(0.05, 0.5, 0.95)):
    """{"p5": …, "p50": …, "p95": …, "mean": …, "std": …} of the finite values."""
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    out = {f"p{100 * p:g}": float(np.quantile(v, p)) for p in probabilities}
    out.update(mean=float(v.mean()), std=float(v.std(ddof=1)) if v.size > 1 else 0.0, finite=int(v.size))
    return out


def sobol(func, distributions, n, seed=0, confidence=0.95, resamples=200):
    """First-order and total Sobol indices of the vectorised ``func`` ((d, m) inputs -> (m,) or
    (k, m) outputs) over ``distributions``: n·(d + 2) evaluations on :func:`design`'s matrices,
    then :func:`sobol_from`. Returns a list (one per output) of {"first", "total", "first_ci",
    "total_ci"} arrays of length d."""
    A, B, AB = design(distributions, n, seed)
    d = len(distributions)
    f = lambda X: np.atleast_2d(func(X.T))                                  # noqa: E731
    f_AB = np.stack([f(AB[i]) for i in range(d)])
    return sobol_from(f(A), f(B), f_AB, confidence=confidence, resamples=resamples, seed=seed)
