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

__all__ = ["Outcome", "lbfgs", "newton"]


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


def newton(fun: Callable, u0, data: tuple, *, maxiter: int, gtol: float, atol: float) -> Outcome:
    """Damped Newton (Levenberg-Marquardt on the exact Hessian) from each row of ``u0``.

    A step solves ``(H + mu * diag(max(|diag H|, eps))) d = -g``; it is taken if it lowers ``fun``, and ``mu``
    shrinks by 3; otherwise it is refused and ``mu`` grows by 10. An indefinite or singular system is refused the
    same way, so the iteration never moves uphill.
    """
    grad_fn = jax.grad(fun)
    hess_fn = jax.hessian(fun)

    def one(u):
        def cond(carry):
            _, value, g, _, i = carry
            return (i < maxiter) & ~(jnp.max(jnp.abs(g)) <= tolerance(value, gtol, atol)) & jnp.isfinite(value)

        def body(carry):
            u, value, g, mu, i = carry
            h = hess_fn(u, *data)
            diag = jnp.abs(jnp.diag(h))
            scale = jnp.maximum(diag, 1e-12 * jnp.max(diag) + 1e-300)
            d = jnp.linalg.solve(h + mu * jnp.diag(scale), -g)
            trial = u + d
            trial_value = fun(trial, *data)
            accept = jnp.isfinite(trial_value) & (trial_value <= value) & jnp.all(jnp.isfinite(d))
            u = jnp.where(accept, trial, u)
            value = jnp.where(accept, trial_value, value)
            g = jnp.where(accept, grad_fn(u, *data), g)
            mu = jnp.clip(jnp.where(accept, mu / 3.0, mu * 10.0), 1e-12, 1e12)
            return u, value, g, mu, i + 1

        value, g = jax.value_and_grad(fun)(u, *data)
        u, value, g, _, steps = jax.lax.while_loop(cond, body, (u, value, g, jnp.asarray(1e-3), 0))
        gnorm = jnp.max(jnp.abs(g))
        return Outcome(u, value, gnorm, steps, gnorm <= tolerance(value, gtol, atol))

    return jax.vmap(one)(u0)
