"""What every table's ``Meta`` shares; :func:`chalicelib.models.bind_models` sets name, region and host."""

from __future__ import annotations


class TableMeta:
    table_name = ""
    region = "us-east-1"
    host: str | None = None
    billing_mode = "PAY_PER_REQUEST"
