"""Coded errors of batch runs and loads (E4xx), in the style of :mod:`caacwatch.errors`."""

from __future__ import annotations

from enum import Enum

from caacwatch.errors import CaacError


class B(str, Enum):
    E401 = (
        "{path} is not a caacwatch batch file ({reason}). `caacwatch load` reads the Parquet files "
        "written by `caacwatch batch`."
    )
    E402 = (
        "{path} was written with batch schema {found!r}; this caacwatch reads {expected!r}. Load it with "
        "the caacwatch version that wrote it, or run `caacwatch batch` again."
    )
    E403 = (
        "Cannot use the Ray cluster at {address}: {reason}. Start one with `ray start --head` and pass the "
        "address it prints, or leave out --address to run a local cluster on this machine."
    )
    E404 = (
        "The Ray engine needs Ray Data ({reason}). Install it with `pip install \"ray[data]==2.60.0\"`, "
        "or use --engine inline."
    )
    E405 = "Parquet input {path} could not be read ({reason}). Check that it is a Parquet file."
    E406 = "Could not write {path}: {reason}. Check that the folder exists and is writable."
    E407 = (
        "The batch run failed ({reason}). Nothing was written; a worker that crashes again on the same "
        "input is a bug: please report the message."
    )


class BatchError(CaacError):
    """A :class:`~caacwatch.errors.CaacError` with an E4xx code."""

    def __init__(self, code: B, **fields: object) -> None:
        super().__init__(code, **fields)  # type: ignore[arg-type]  # CaacError reads .name and .value only
