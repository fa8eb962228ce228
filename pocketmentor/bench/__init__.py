"""The benchmark harness behind `make bench`: data sizes, page figures and a load run."""

from typing import NamedTuple


class Figure(NamedTuple):
    """One measured number; the command adds the size and the database."""

    bench: str
    value: float
    unit: str
