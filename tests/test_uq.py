"""Uncertain inputs: distribution strings, reproducible QMC sampling, quantiles, Sobol indices
against exact values (Ishigami, a linear model)."""

import math

import numpy as np
import pytest

from cqdfem import uq, verification
from cqdfem.errors import InputError


def test_distribution_strings():
    d = uq.parse("0.24 ± 0.04 W/m/K", "W/m/K", "k", bounds=(0, math.inf))
    assert (d.kind, d.a, d.b) == ("normal", 0.24, 0.04)
    assert uq.parse("0.24 +- 0.04", "W/m/K", "k") == dataclass_eq(d, "0.24 +- 0.04")
    n = uq.parse("normal(120 nm, 5 nm)", "m", "t")
    assert n.a == pytest.approx(120e-9) and n.b == pytest.approx(5e-9)
    u = uq.parse("uniform(0.10, 0.20)", "", "plqy", bounds=(0, 1))
    assert (u.kind, u.a, u.b) == ("uniform", 0.10, 0.20)
    for text in ("lognormal(1.0e-14 cm^2, x2)", "1.0e-14 cm^2 ×/÷ 2"):
        ln = uq.parse(text, "m^2", "sigma", bounds=(0, math.inf))
        assert ln.kind == "lognormal" and ln.a == pytest.approx(1e-18) and ln.b == 2.0
        # 68.3 % within [m/2, 2m]
        assert float(ln.ppf(0.5)) == pytest.approx(1e-18, rel=1e-12)
        assert float(ln.ppf(0.8413447460685429)) == pytest.approx(2e-18, rel=1e-9)


def dataclass_eq(d, text):
    import dataclasses

    return dataclasses.replace(d, text=text, bounds=(-math.inf, math.inf))


def test_bad_distributions_are_input_errors():
    inf = math.inf
    for text, unit, bounds, words in (("0.24 ± -0.04 W/m/K", "W/m/K", (0, inf), "positive standard deviation"),
                                      ("uniform(0.2, 0.1)", "", (0, 1), "a < b"),
                                      ("lognormal(1e-14 cm^2, x0.5)", "m^2", (0, inf), "factor > 1"),
                                      ("0.24 ± 0.04 kg", "W/m/K", (0, inf), "W/m/K"),
                                      ("about 0.24", "", (0, 1), "expected a distribution"),
                                      ("normal(1, 2, 3)", "", (0, inf), "normal(a, b)"),
                                      ("uniform(2, 3)", "", (0, 1), "outside where the input is physical"),
                                      (0.24, "", (0, 1), "expected a distribution")):
        with pytest.raises(InputError) as e:
            uq.parse(text, unit, "film.x", bounds=bounds)
        assert words in str(e.value) and "film.x" in str(e.value), (text, str(e.value))


def test_truncation_keeps_samples_physical():
    d = uq.parse("0.15 ± 0.2", "", "plqy", bounds=(0, 1))
    x = uq.sample([d], 1024, seed=3)[:, 0]
    assert x.min() >= 0 and x.max() <= 1 and 0.2 < x.mean() < 0.5


def test_sampling_is_seeded_and_matches_the_law():
    ds = [uq.parse("uniform(0, 1)", "", "a"), uq.parse("2 ± 0.5", "", "b")]
    x1, x2 = uq.sample(ds, 4096, seed=7), uq.sample(ds, 4096, seed=7)
    assert np.array_equal(x1, x2) and not np.array_equal(x1, uq.sample(ds, 4096, seed=8))
    q = uq.quantiles(x1[:, 1])
    # normal(2, 0.5): p5/p95 at 2 ∓ 1.6449·0.5; QMC error at 4096 points is far below 1e-2
    assert q["p50"] == pytest.approx(2.0, abs=2e-3)
    assert q["p5"] == pytest.approx(2 - 1.6448536 * 0.5, abs=5e-3)
    assert q["p95"] == pytest.approx(2 + 1.6448536 * 0.5, abs=5e-3)
    assert q["std"] == pytest.approx(0.5, rel=1e-2)


def test_sobol_indices_of_ishigami_within_their_ci():
    a, b = 7.0, 0.1
    pi = uq.parse(f"uniform({-math.pi}, {math.pi})", "", "x")
    f = lambda x: np.sin(x[0]) + a * np.sin(x[1]) ** 2 + b * x[2] ** 4 * np.sin(x[0])   # noqa: E731
    V = a ** 2 / 8 + b * math.pi ** 4 / 5 + b ** 2 * math.pi ** 8 / 18 + 0.5
    V1 = 0.5 * (1 + b * math.pi ** 4 / 5) ** 2
    V2 = a ** 2 / 8
    VT3 = 8 * b ** 2 * math.pi ** 8 / 225
    exact_first = np.array([V1 / V, V2 / V, 0.0])
    exact_total = np.array([(V1 + VT3) / V, V2 / V, VT3 / V])
    # the V&V page's closed form (cqdfem.verification.ishigami_exact) is this one
    assert np.allclose(verification.ishigami_exact(a, b), [exact_first, exact_total], rtol=1e-15, atol=0)
    (res,) = uq.sobol(f, [pi, pi, pi], n=2 ** 13, seed=1)
    for key, exact in (("first", exact_first), ("total", exact_total)):
        lo, hi = res[f"{key}_ci"][:, 0], res[f"{key}_ci"][:, 1]
        widen = 0.02                     # the bootstrap CI of a QMC estimate is a little optimistic
        assert np.all(lo - widen <= exact) and np.all(exact <= hi + widen), (key, res[key], exact)
        assert np.max(np.abs(res[key] - exact)) < 0.03


def test_sobol_error_falls_with_the_sample_size():
    """cqdfem.verification.sobol_ishigami (also the V&V page): the largest index error falls at
    least at Monte Carlo's n^-1/2 and the bootstrap intervals mostly hold the exact indices."""
    study = verification.sobol_ishigami(sizes=(2 ** 8, 2 ** 10, 2 ** 12), seeds=range(4))
    slope = math.log(study.errors[0] / study.errors[-1]) / math.log(16)
    assert slope > 0.4, study.errors
    assert study.errors[-1] < 0.02
    assert study.coverage >= 0.75


def test_linear_model_indices_are_variance_shares():
    ds = [uq.parse("1 ± 1", "", "a"), uq.parse("1 ± 2", "", "b"), uq.parse("uniform(0, 3)", "", "c")]
    coef = np.array([1.0, 0.5, 2.0])
    shares = coef ** 2 * np.array([1.0, 4.0, 0.75])
    shares /= shares.sum()
    (res,) = uq.sobol(lambda x: coef @ x, ds, n=2 ** 12, seed=2)
    assert res["first"] == pytest.approx(shares, abs=0.02)
    assert res["total"] == pytest.approx(shares, abs=0.02)
