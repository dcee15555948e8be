"""scalinglaws: fit neural scaling laws to training runs and forecast larger runs, with bootstrap uncertainty.

The way through: ``read_runs`` (CSV -> validated RunTable) -> ``fit`` -> ``bootstrap`` -> ``forecast`` /
``compute_optimal`` / ``compute_for_target``.
"""

import jax as _jax

_jax.config.update("jax_enable_x64", True)  # every fit is float64: objectives near 1e-3 need the digits

from ._bootstrap import bootstrap as bootstrap  # noqa: E402
from ._fit import FitError as FitError  # noqa: E402
from ._forecast import compute_for_target as compute_for_target  # noqa: E402
from ._forecast import compute_optimal as compute_optimal  # noqa: E402
from ._forecast import forecast as forecast  # noqa: E402
from ._isoflop import isoflop as isoflop  # noqa: E402
from ._fit import fit as fit  # noqa: E402
from ._io import read_runs as read_runs  # noqa: E402
from ._law import Law as Law  # noqa: E402
from ._objective import Objective as Objective  # noqa: E402
from ._params import Param as Param  # noqa: E402
from ._result import FitResult as FitResult  # noqa: E402
from ._result import preset as preset  # noqa: E402
from ._schema import RunTable as RunTable  # noqa: E402
from ._schema import SchemaError as SchemaError  # noqa: E402
from ._schema import table_from_columns as table_from_columns  # noqa: E402
from .laws import UnknownLawError as UnknownLawError  # noqa: E402
from .laws import available_laws as available_laws  # noqa: E402
from .laws import get_law as get_law  # noqa: E402
from .laws import register as register  # noqa: E402

from ._version import __version__ as __version__  # noqa: E402
