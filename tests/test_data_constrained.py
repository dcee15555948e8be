"""Data-constrained scaling (Muennighoff et al. 2023): the published law, its limits and its allocation."""

import numpy as np
import pytest

import scalinglaws as sl
from scalinglaws.laws.data_constrained import C4, epochs_worth


@pytest.fixture(scope="module")
def published():
    return sl.preset("data_constrained", "muennighoff-c4")


def test_the_published_law_gives_the_reference_sanity_values(published):
    got = published.predict({"N": [6.34e9, 8.67e9], "D": [242e9, 178e9], "U": [25e9, 25e9]})
    # REFERENCE.md section 7 prints these to 17 digits; 1e-9 leaves room for the order of float64 operations only
    np.testing.assert_allclose(got, [2.2256440889984477, 2.2269634075087867], rtol=0, atol=1e-9)


def test_without_repetition_it_is_chinchillas_law(published):
    chinchilla = sl.FitResult(law=sl.get_law("chinchilla"),
                              params=sl.get_law("chinchilla").from_natural(C4))
    n = np.array([1e8, 4e8, 1e9])
    d = np.array([2e10, 5e10, 1e11])
    # one epoch (U = D) and models no larger than the unique data can use: no discount applies
    np.testing.assert_allclose(published.predict({"N": n, "D": d, "U": d}), chinchilla.predict({"N": n, "D": d}),
                               rtol=1e-13)


def test_repeated_tokens_are_worth_less_and_saturate(published):
    rd = published.natural["rd_star"]
    n, u = 3e8, 1e10  # N below N_opt(U) = 5.1e8: no excess parameters, only the tokens repeat
    epochs = np.array([1.0, 2.0, 4.0, 16.0, 64.0, 1e4])
    loss = published.predict({"N": np.full(6, n), "D": u * epochs, "U": np.full(6, u)})
    assert np.all(np.diff(loss) < 0)  # more passes still help ...
    fresh = published.predict({"N": np.full(6, n), "D": u * epochs, "U": u * epochs})
    assert np.all(loss[1:] > fresh[1:])  # ... but less than fresh tokens would
    ceiling = published.predict({"N": [n], "D": [u * (1 + rd)], "U": [u * (1 + rd)]})[0]
    # effective data saturate at U (1 + R_D*): 1e4 epochs reach that ceiling to 1e-6
    assert loss[-1] == pytest.approx(ceiling, rel=1e-6)


def test_epochs_worth():
    # a closed form (1 + R_D* ln 2 epochs for half the worth of fresh data): equal to float64 rounding
    assert epochs_worth(15.387756, 0.5) == pytest.approx(1 + 15.387756 * np.log(2), rel=1e-15)
    with pytest.raises(ValueError, match="worth must be in"):
        epochs_worth(15.0, 1.5)


def test_allocation_under_a_cap_on_unique_tokens(published):
    c = 1e22
    chinchilla = sl.FitResult(law=sl.get_law("chinchilla"), params=sl.get_law("chinchilla").from_natural(C4))
    free = sl.compute_optimal(chinchilla, c)
    # with unique data to spare, the cap never binds: Chinchilla's closed form (numerical search: 1e-6)
    loose = sl.compute_optimal(published, c, fixed={"U": 1e15})
    assert loose.N.value == pytest.approx(free.N.value, rel=1e-6)
    # with a tenth of the tokens unique, the optimum is a smaller model on more, repeated tokens (Muennighoff et
    # al.'s finding: spend extra compute on epochs rather than parameters), at a higher loss
    tight = sl.compute_optimal(published, c, fixed={"U": free.D.value / 10})
    assert tight.N.value < free.N.value and tight.D.value > free.D.value and tight.loss.value > free.loss.value
    n = np.logspace(np.log10(tight.N.value) - 1, np.log10(tight.N.value) + 1, 2001)
    brute = published.predict({"N": n, "D": c / (6 * n), "U": np.full_like(n, free.D.value / 10)})
    # the numerical optimum is the brute-force one to the grid's resolution (0.1% in N, far less in loss)
    assert tight.loss.value <= brute.min() * (1 + 1e-9)
    # the law reports the epochs the allocation implies (D*/U), with the allocation's own D*
    assert float(tight.derived["epochs D/U"].value) == pytest.approx(tight.D.value / (free.D.value / 10), rel=1e-12)
    assert any(r["quantity"] == "epochs D/U" for r in tight.rows()) and "epochs D/U" in tight.summary()
    with pytest.raises(sl.InputError, match="holds \\['U'\\] fixed"):
        sl.compute_optimal(published, c)


def test_cli_forecast_holds_unique_tokens(capsys):
    from scalinglaws.cli import main

    assert main(["forecast", "data_constrained:muennighoff-c4", "--compute", "1e22", "--hold", "U=1.8e10"]) == 0
    out = capsys.readouterr().out
    assert "U (fixed)" in out and "numerical minimum along C = 6 N D" in out
    assert main(["forecast", "data_constrained:muennighoff-c4", "--compute", "1e22"]) == 2
    assert "give ['U']" in capsys.readouterr().err


def test_the_epochs_plot_renders(published):
    from scalinglaws import plots

    fig = plots.plot_epochs(published, 1e9, 1e10)
    ax = fig.axes[0]
    assert ax.has_data() and ax.get_xlabel() == "epochs D / U"
    plots.close(fig)
