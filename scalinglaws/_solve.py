"""Local refinement from a batch of starts: optax L-BFGS, and a damped-Newton polish.

Both take ``fun(u, *data) -> scalar`` and a batch of starts ``u0`` (K, P), run all K lanes in one vmapped, jitted
loop, and return :class:`Outcome` arrays. Convergence is judged by the gradient norm relative to the objective,
never by a stalled objective (Hoffmann et al.'s fit stopped early that way; Besiroglu et al. 2024):

    converged  <=>  max_i |df/du_i| <= gtol * |f| + atol

Under vmap a while-loop runs until its slowest lane stops, so callers pass only a few starts (the best of a
grid scored in one pass), not the whole grid.

Why two methods: L-BFGS with a zoom line search is robust from far-away starts; a damped Newton step (exact
Hessian of a handful of parameters, Levenberg-Marquardt damping) converges quadratically near an optimum, which
makes it the cheap polish after L-BFGS and the right tool for warm-started bootstrap refits. Newton alone from
distant grid starts can stall on a saddle or a wrong basin, so it never replaces L-BFGS there.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import optax

__all__ = ["Outcome", "lbfgs", "newton", "solve_small"]


class Outcome(NamedTuple):
    u: jnp.ndarray  # (K, P) unconstrained parameters
    value: jnp.ndarray  # (K,)
    grad_norm: jnp.ndarray  # (K,) max-abs gradient
    steps: jnp.ndarray  # (K,) iterations taken
    converged: jnp.ndarray  # (K,) bool


def tolerance(value, gtol, atol):
    """The gradient tolerance at objective ``value``: relative to the objective (so a mean and a sum of the same
    residuals converge alike), plus an absolute floor for objectives near zero."""
    return gtol * jnp.abs(value) + atol


def lbfgs(fun: Callable, u0, data: tuple, *, maxiter: int, gtol: float, atol: float) -> Outcome:
    """Minimise ``fun(u, *data)`` from each row of ``u0`` with optax L-BFGS (zoom line search)."""
    solver = optax.lbfgs(memory_size=10)

    def one(u):
        f = lambda v: fun(v, *data)  # noqa: E731
        value_and_grad = optax.value_and_grad_from_state(f)

        def cond(carry):
            _, state, i, value, gnorm = carry
            return (i < maxiter) & ~(gnorm <= tolerance(value, gtol, atol)) & jnp.isfinite(value)

        def body(carry):
            u, state, i, value, gnorm = carry
            # Under vmap this body also runs for lanes that have finished. Their zoom line search, at a
            # stationary point, would spend its whole budget; a zero objective makes it accept at once.
            done = (gnorm <= tolerance(value, gtol, atol)) | ~jnp.isfinite(value)
            f_lane = lambda v: jnp.where(done, 0.0, f(v))  # noqa: E731
            v, g = value_and_grad(u, state=state)
            v, g = jnp.where(done, 0.0, v), jnp.where(done, 0.0, g)
            updates, new_state = solver.update(g, state, u, value=v, grad=g, value_fn=f_lane)
            new_u = optax.apply_updates(u, updates)
            new_value, new_grad = optax.tree.get(new_state, "value"), optax.tree.get(new_state, "grad")
            keep = lambda old, new: jnp.where(done, old, new)  # noqa: E731
            state = jax.tree.map(keep, state, new_state)
            return keep(u, new_u), state, keep(i, i + 1), keep(value, new_value), keep(gnorm, jnp.max(jnp.abs(new_grad)))

        value, grad = jax.value_and_grad(f)(u)
        carry = (u, solver.init(u), jnp.asarray(0), value, jnp.max(jnp.abs(grad)))
        u, _, steps, value, gnorm = jax.lax.while_loop(cond, body, carry)
        return Outcome(u, value, gnorm, steps, gnorm <= tolerance(value, gtol, atol))

    return jax.vmap(one)(u0)


def newton(fun: Callable, u0, data: tuple, *, maxiter, gtol: float, atol: float, data_axes=None) -> Outcome:
    """Damped Newton (Levenberg-Marquardt on the exact Hessian) from each row of ``u0``.

    A step solves ``(H + mu * diag(max(|diag H|, eps))) d = -g``; it is taken if it lowers ``fun``, and ``mu``
    shrinks by 3; otherwise it is refused and ``mu`` grows by 10. An indefinite or singular system is refused the
    same way, so the iteration never moves uphill.

    The lanes are batched by hand (one while-loop over arrays of K lanes, a lane frozen once it stops) rather than
    by vmapping a per-lane loop: the result is the same, and tracing is several times cheaper (vmap's rule for a
    while-loop re-traces its body until the batched carries settle). ``data_axes`` gives each datum's lane axis
    (``None``: shared by all lanes), so each lane may carry its own data (a bootstrap's resample weights);
    ``maxiter`` may be a traced integer, so that rounds of different lengths share one compiled program.
    """
    axes = (None,) * len(data) if data_axes is None else tuple(data_axes)
    value_and_grad = jax.vmap(jax.value_and_grad(fun), in_axes=(0, *axes))
    value_fn = jax.vmap(fun, in_axes=(0, *axes))
    hess_fn = jax.vmap(jax.hessian(fun), in_axes=(0, *axes))

    def running(value, g, i):
        return (i < maxiter) & ~(jnp.max(jnp.abs(g), axis=-1) <= tolerance(value, gtol, atol)) & jnp.isfinite(value)

    def cond(carry):
        _, value, g, _, i = carry
        return jnp.any(running(value, g, i))

    def body(carry):
        u, value, g, mu, i = carry
        act = running(value, g, i)
        h = hess_fn(u, *data)
        diag = jnp.abs(jnp.diagonal(h, axis1=-2, axis2=-1))
        scale = jnp.maximum(diag, 1e-12 * jnp.max(diag, axis=-1, keepdims=True) + 1e-300)
        eye = jnp.eye(u.shape[-1], dtype=u.dtype)
        d = solve_small(h + (mu[:, None] * scale)[:, :, None] * eye, -g)
        trial = u + d
        trial_value = value_fn(trial, *data)
        accept = act & jnp.isfinite(trial_value) & (trial_value <= value) & jnp.all(jnp.isfinite(d), axis=-1)
        u = jnp.where(accept[:, None], trial, u)
        new_value, new_g = value_and_grad(u, *data)
        value = jnp.where(accept, trial_value, value)
        g = jnp.where(accept[:, None], new_g, g)
        mu = jnp.where(act, jnp.clip(jnp.where(accept, mu / 3.0, mu * 10.0), 1e-12, 1e12), mu)
        return u, value, g, mu, i + act

    value, g = value_and_grad(u0, *data)
    k = u0.shape[0]
    u, value, g, _, steps = jax.lax.while_loop(
        cond, body, (u0, value, g, jnp.full((k,), 1e-3, dtype=u0.dtype), jnp.zeros((k,), dtype=jnp.int32)))
    gnorm = jnp.max(jnp.abs(g), axis=-1)
    return Outcome(u, value, gnorm, steps, gnorm <= tolerance(value, gtol, atol))


def solve_small(a, b):
    """``a x = b`` for batches of small systems (``a``: (..., P, P), ``b``: (..., P)) by Gauss-Jordan elimination
    with partial pivoting, unrolled over the P columns.

    For the few parameters of a law this is as accurate as LAPACK's LU and plain XLA: no LAPACK custom call, so
    no LAPACK start-up in a new process (a third of a second, spent loading scipy's LAPACK) and nothing that a
    kept executable could call unbound (see ``_export``). A singular pivot gives a non-finite ``x``, which the
    Newton step refuses."""
    n = a.shape[-1]
    rows = jnp.arange(n)
    m = jnp.concatenate([a, b[..., None]], axis=-1)
    for k in range(n):
        p = jnp.argmax(jnp.abs(m[..., :, k]) * (rows >= k), axis=-1)[..., None]  # pivot row among k..n-1
        perm = jnp.where(rows == k, p, jnp.where(rows == p, k, rows))
        m = jnp.take_along_axis(m, perm[..., :, None], axis=-2)
        factors = jnp.where(rows == k, 0.0, m[..., :, k] / m[..., k, k][..., None])
        m = m - factors[..., :, None] * m[..., k, None, :]
    return m[..., :, n] / jnp.diagonal(m[..., :, :n], axis1=-2, axis2=-1)
