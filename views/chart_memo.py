"""Built charts, remembered: the same figures give the same chart object back.

A warm rerun draws the same charts from the same (cached) figures again; building an
Altair chart (channels, layers, their schema objects) was about a quarter of such a rerun.
Each builder's chart is kept, keyed on the builder, the language and its arguments, a
frame by its columns, dtypes and a hash of its values. Nothing mutates a chart once built
(Altair's methods return copies). ``views.charts`` decorates every builder with
``remembered``.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

import pandas as pd

from i18n import get_language

BUILT_MAX = 512
_built: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
_built_lock = threading.Lock()
C = TypeVar("C", bound=Callable[..., Any])


def _key_part(value: Any) -> Any:
    if isinstance(value, pd.DataFrame):
        return ("frame", tuple(map(str, value.columns)), tuple(map(str, value.dtypes)),
                pd.util.hash_pandas_object(value, index=True).to_numpy().tobytes())
    if isinstance(value, list | dict | set):
        return ("repr", repr(value))
    return value


def remembered(builder: C) -> C:
    @functools.wraps(builder)
    def build(*args: Any, **kwargs: Any) -> Any:
        try:
            key = (builder.__name__, get_language(), tuple(_key_part(a) for a in args),
                   tuple(sorted((k, _key_part(v)) for k, v in kwargs.items())))
            hash(key)
        except TypeError:  # a value pandas or Python cannot hash: build it every time
            return builder(*args, **kwargs)
        with _built_lock:
            chart = _built.get(key)
            if chart is not None:
                _built.move_to_end(key)
                return chart
        chart = builder(*args, **kwargs)
        with _built_lock:
            _built[key] = chart
            while len(_built) > BUILT_MAX:
                _built.popitem(last=False)
        return chart
    return build  # type: ignore[return-value]
