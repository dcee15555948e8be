"""scalinglaws: fit neural scaling laws to training runs and forecast larger runs, with bootstrap uncertainty.

The way through: ``read_runs`` (CSV -> validated RunTable) -> ``fit`` -> ``bootstrap`` -> ``forecast`` /
``compute_optimal`` / ``compute_for_target`` (and ``scalinglaws.curves`` for loss curves under LR schedules,
``chain`` for (N, D) -> loss -> metric with one band).
"""

import jax as _jax

_jax.config.update("jax_enable_x64", True)  # every fit is float64: objectives near 1e-3 need the digits

from . import curves as curves  # noqa: E402
from . import schedules as schedules  # noqa: E402
from . import cod as cod  # noqa: E402
from . import simulate as simulate  # noqa: E402
from ._bootstrap import bootstrap as bootstrap  # noqa: E402
from ._chain import Chain as Chain  # noqa: E402
from ._chain import ChainForecast as ChainForecast  # noqa: E402
from ._chain import chain as chain  # noqa: E402
from ._errors import IdentifiabilityError as IdentifiabilityError  # noqa: E402
from ._errors import InputError as InputError  # noqa: E402
from ._errors import UnreachableTargetError as UnreachableTargetError  # noqa: E402
from ._fit import FitError as FitError  # noqa: E402
from ._fit import compiled_programs as compiled_programs  # noqa: E402
from ._fit import fit as fit  # noqa: E402
from ._fit import prepare as prepare  # noqa: E402
from ._forecast import Allocation as Allocation  # noqa: E402
from ._forecast import Band as Band  # noqa: E402
from ._forecast import Forecast as Forecast  # noqa: E402
from ._forecast import compute_for_target as compute_for_target  # noqa: E402
from ._forecast import compute_optimal as compute_optimal  # noqa: E402
from ._forecast import forecast as forecast  # noqa: E402
from ._io import read_runs as read_runs  # noqa: E402
from ._io import read_uploads as read_uploads  # noqa: E402
from ._io import read_matrix as read_matrix  # noqa: E402
from ._io import csv_columns as csv_columns  # noqa: E402
from ._io import runs_csv as runs_csv  # noqa: E402
from ._io import write_runs as write_runs  # noqa: E402
from . import logs as logs  # noqa: E402
from ._isoflop import IsoflopResult as IsoflopResult  # noqa: E402
from ._isoflop import isoflop as isoflop  # noqa: E402
from ._isoflop import ApproachComparison as ApproachComparison  # noqa: E402
from ._isoflop import compare_approaches as compare_approaches  # noqa: E402
from ._forecast import allocation_exponent as allocation_exponent  # noqa: E402
from ._law import FORECASTS as FORECASTS  # noqa: E402
from ._law import SIX_ND as SIX_ND  # noqa: E402
from ._law import ComputeModel as ComputeModel  # noqa: E402
from ._law import DataScale as DataScale  # noqa: E402
from ._law import Law as Law  # noqa: E402
from ._law import constrain as constrain  # noqa: E402
from ._objective import Objective as Objective  # noqa: E402
from ._params import Param as Param  # noqa: E402
from ._resample import ResamplePlan as ResamplePlan  # noqa: E402
from ._resample import resample_plan as resample_plan  # noqa: E402
from ._result import FitResult as FitResult  # noqa: E402
from ._reproduce import reproduce as reproduce  # noqa: E402
from . import backtest as backtest  # noqa: E402
from . import risk as risk  # noqa: E402
from . import suggest as suggest  # noqa: E402
from . import scalebench as scalebench  # noqa: E402
from . import leaderboard as leaderboard  # noqa: E402
from ._result import preset as preset  # noqa: E402
from ._schema import RunTable as RunTable  # noqa: E402
from ._schema import SchemaError as SchemaError  # noqa: E402
from ._schema import CANONICAL_COLUMNS as CANONICAL_COLUMNS  # noqa: E402
from ._schema import canonical_column as canonical_column  # noqa: E402
from ._schema import table_from_columns as table_from_columns  # noqa: E402
from ._schema import table_from_csv as table_from_csv  # noqa: E402
from ._cache import enable_compilation_cache as enable_compilation_cache  # noqa: E402
from .laws import UnknownLawError as UnknownLawError  # noqa: E402
from .laws import applicable_laws as applicable_laws  # noqa: E402
from .laws import available_laws as available_laws  # noqa: E402
from .laws import get_law as get_law  # noqa: E402
from .laws import register as register  # noqa: E402
from .laws import register_factory as register_factory  # noqa: E402
from .laws import unregister as unregister  # noqa: E402
from .laws.power import power_law as power_law  # noqa: E402
from .laws.formula import formula_law as formula_law  # noqa: E402

from ._version import __version__ as __version__  # noqa: E402
