"""Values as plain JSON data, for the trace and the audit log (one converter for both)."""
from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import math
from collections.abc import Mapping
from pathlib import PurePath

import numpy as np


def to_jsonable(value: object) -> object:
    """Dataclasses become dicts tagged with "type", enums their value, paths strings, sets sorted
    lists, non-finite floats strings, arrays a shape/dtype summary (never their pixels), exceptions
    their type and message; anything else its (clipped) repr()."""
    match value:
        case None | bool() | int() | str():
            return value
        case float():
            return value if math.isfinite(value) else str(value)
        case enum.Enum():
            return to_jsonable(value.value)
        case PurePath():
            return str(value)
        case dt.datetime() | dt.date():
            return value.isoformat()
        case np.ndarray():
            return {"type": "ndarray", "shape": list(value.shape), "dtype": str(value.dtype)}
        case np.generic():
            return to_jsonable(value.item())
        case BaseException():
            return {"type": type(value).__name__, "message": str(value)}
        case Mapping():
            return {str(k): to_jsonable(v) for k, v in value.items()}
        case set() | frozenset():
            return [to_jsonable(v) for v in sorted(value, key=repr)]
        case list() | tuple():
            return [to_jsonable(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"type": type(value).__name__, **fields}
    return repr(value)[:200]
