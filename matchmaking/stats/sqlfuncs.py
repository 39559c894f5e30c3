"""Calendar arithmetic in SQL for the programme's calendar (Beijing time), on both backends.

The database stores UTC timestamps; a need published at 2023-12-31 20:00 UTC was published on
2024-01-01 in Tongxiang. Filters use range predicates computed in Python (index-friendly);
these functions are for day differences (response times) only.

- ``local_day(ts)``: the Beijing calendar date of a UTC timestamp as a day number;
- ``day_number(d)``: a DATE column as a day number (same scale as ``local_day``).
"""

from __future__ import annotations

from sqlalchemy import Integer
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

# Asia/Shanghai has kept UTC+8 without daylight saving since 1991.
_SQLITE_SHIFT = "'+8 hours'"
_PG_ZONE = "'Asia/Shanghai'"


class local_day(FunctionElement):  # noqa: N801 (reads as a SQL function)
    type = Integer()
    inherit_cache = True


class day_number(FunctionElement):  # noqa: N801
    type = Integer()
    inherit_cache = True


@compiles(local_day, "sqlite")
def _local_day_sqlite(element, compiler, **kw):
    (arg,) = element.clauses
    return f"CAST(julianday(date({compiler.process(arg, **kw)}, {_SQLITE_SHIFT})) AS INTEGER)"


@compiles(local_day, "postgresql")
def _local_day_pg(element, compiler, **kw):
    (arg,) = element.clauses
    return (
        f"(CAST(({compiler.process(arg, **kw)}) AT TIME ZONE {_PG_ZONE} AS DATE) "
        "- DATE '2000-01-01')"
    )


@compiles(day_number, "sqlite")
def _day_number_sqlite(element, compiler, **kw):
    (arg,) = element.clauses
    return f"CAST(julianday({compiler.process(arg, **kw)}) AS INTEGER)"


@compiles(day_number, "postgresql")
def _day_number_pg(element, compiler, **kw):
    (arg,) = element.clauses
    return f"({compiler.process(arg, **kw)} - DATE '2000-01-01')"
