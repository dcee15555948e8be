"""TensorBoard event files (``events.out.tfevents.*``), read by TensorBoard's own reader with nothing sampled away.

TensorBoard's ``EventAccumulator`` keeps by default only 10,000 scalars per tag (reservoir-sampled): here every size
guidance is 0, which keeps all. A run is a folder holding event files (several files in one folder, e.g. after a
restart, are one run, read in order), named by its path as TensorBoard names runs. Scalars written as summaries
(PyTorch's ``SummaryWriter``, TF1) and as scalar tensors (TF2's ``tf.summary.scalar``) are both read.

Needs the optional extra: ``pip install 'scalinglaws[logs]'`` (or ``pip install tensorboard``).
"""

from __future__ import annotations

import logging
from pathlib import PurePosixPath

import numpy as np

from .._schema import SchemaError
from ._assemble import RunLog

__all__ = ["read_tensorboard", "is_event_file"]


def is_event_file(path: str) -> bool:
    return "tfevents" in PurePosixPath(path).name


def read_tensorboard(tree, problems: list[str], notes: list[str]) -> list[RunLog]:
    try:
        from tensorboard.backend.event_processing import event_accumulator as ea
        from tensorboard.util import tensor_util
    except ImportError:
        raise SchemaError(["reading TensorBoard event files needs tensorboard: pip install 'scalinglaws[logs]' "
                           "(or pip install tensorboard)"], tree.name) from None
    files = [p for p in tree.paths if is_event_file(p)]
    folders = sorted({str(PurePosixPath(p).parent) for p in files})
    logs = []
    quiet = logging.getLogger("tensorboard")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # its reader logs every truncated record; the problems below say it once
    try:
        with tree.on_disk(files) as root:
            for folder in folders:
                run = tree.name if folder == "." else folder
                guidance = {ea.SCALARS: 0, ea.TENSORS: 0, ea.HISTOGRAMS: 1, ea.IMAGES: 1, ea.AUDIO: 1,
                            ea.COMPRESSED_HISTOGRAMS: 1}
                acc = ea.EventAccumulator(str(root / folder), size_guidance=guidance)
                try:
                    acc.Reload()
                except Exception as exc:  # a damaged file: TensorBoard raises its own kinds (DataLossError, ...)
                    problems.append(f"{folder}: the event files cannot be read ({type(exc).__name__}: {exc})")
                    continue
                tags = acc.Tags()
                series = {}
                for tag in tags.get("scalars", []):
                    events = acc.Scalars(tag)
                    series[tag] = (np.array([e.step for e in events], float), np.array([e.value for e in events]))
                for tag in tags.get("tensors", []):
                    steps, values = [], []
                    for e in acc.Tensors(tag):
                        try:
                            array = tensor_util.make_ndarray(e.tensor_proto)
                        except Exception:  # a tensor TensorBoard cannot decode is not a scalar we can use
                            continue
                        if array.size == 1 and array.dtype.kind in "biuf":
                            steps.append(e.step)
                            values.append(float(array.reshape(())))
                    if steps:
                        series[tag] = (np.array(steps, float), np.array(values))
                if not series:
                    notes.append(f"{folder}: no scalars in its event files")
                    continue
                logs.append(RunLog.from_series(run, series))
    finally:
        quiet.setLevel(level)
    return logs
