"""The errors a user can cause, apart from the ones the program can: the CLI exits 2 for these, 3 for anything else.

Every problem a user can fix (a bad option, a target no law reaches, data the law cannot resolve) raises an
:class:`InputError` (a ``ValueError``), so that callers and the CLI can tell it from a bug.
"""

from __future__ import annotations

__all__ = ["InputError", "UnreachableTargetError", "IdentifiabilityError"]


class InputError(ValueError):
    """Bad input or options: the message says what is wrong and what to do."""


class UnreachableTargetError(InputError):
    """A forecast target (a loss, a metric) that the fitted law never reaches."""


class IdentifiabilityError(InputError):
    """The data cannot determine the law's free parameters (too few runs, a single value of an input)."""
