import math

import numpy as np
import pytest

from scalinglaws import Param


@pytest.mark.parametrize("lower,upper", [(-math.inf, math.inf), (0.0, math.inf), (-math.inf, 2.0), (-1.0, 3.0)])
def test_bijection_round_trips_inside_the_bounds(lower, upper):
    lo = lower if math.isfinite(lower) else -50.0
    hi = upper if math.isfinite(upper) else 50.0
    values = np.linspace(lo, hi, 41)[1:-1]
    p = Param("x", grid=(values[0],), lower=lower, upper=upper)
    back = np.asarray(p.to_value(p.to_unconstrained(values)))
    # float64 round trip through log/exp/tanh: a few ulps of the bounds' scale
    np.testing.assert_allclose(back, values, rtol=1e-9, atol=1e-9)
    u = np.linspace(-30, 30, 61)
    mapped = np.asarray(p.to_value(u))
    assert np.all(mapped >= lower) and np.all(mapped <= upper)
    steps = np.diff(mapped)
    assert np.all(steps >= 0) or np.all(steps <= 0)  # monotone (decreasing for an upper bound alone)


def test_grid_on_a_bound_is_refused():
    with pytest.raises(ValueError, match="strictly inside"):
        Param("alpha", grid=(0.0, 0.5), lower=0.0)


def test_bad_bounds_and_names_are_refused():
    with pytest.raises(ValueError, match="not below"):
        Param("x", grid=(1.0,), lower=2.0, upper=1.0)
    with pytest.raises(ValueError, match="identifier"):
        Param("not a name", grid=(1.0,))


def test_near_bound():
    p = Param("x", grid=(0.5,), lower=0.0, upper=1.0)
    assert p.near_bound(1e-9) and p.near_bound(1 - 1e-9) and not p.near_bound(0.5)
