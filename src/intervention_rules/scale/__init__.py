"""Many assessments at once: JSON Lines batches on worker processes, and Dask.

[`Batch`][intervention_rules.scale.Batch] needs only the core library.
[`intervention_rules.scale.dask`][intervention_rules.scale.dask] needs the
``dask`` extra (``pip install 'intervention-rules[dask]'``) and is imported only when used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import exports

if TYPE_CHECKING:
    from ._batch import Batch, BatchError, LineResult, result_record
    from ._project import Projection

__getattr__ = exports(
    __name__,
    {
        "Batch": "._batch",
        "BatchError": "._batch",
        "LineResult": "._batch",
        "Projection": "._project",
        "result_record": "._batch",
    },
)

__all__ = [
    "Batch",
    "BatchError",
    "LineResult",
    "Projection",
    "result_record",
]
