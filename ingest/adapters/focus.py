"""The `focus` adapter: FinOps FOCUS 1.0-1.2 cost exports (CSV with or without BOM, gzip, Parquet) ->
cost rows for the deployments they are attributed to. Parsing and attribution run in DuckDB
(focus.sql); rows no deployment claims are counted and summed, never staged. See docs/formats.md#focus.

It only converts; validation, identities and loading belong to the ingest engine.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import duckdb

from ingest.adapters._common import AdapterError, Converted, checked_deployment, file_format, to_staged
from ingest.staged import Staged
from postlaunch.config import Context
from postlaunch.db import quote_ident
from postlaunch.errors import UsageError

SQL_FILE = Path(__file__).with_name("focus.sql")
COST_COLUMNS = ("BilledCost", "EffectiveCost")
DATE_ORDERS = ("mdy", "dmy")
OUT_COLUMNS = ("period_start", "period_end", "deployment", "amount", "category", "currency", "description")

# Column ids of FOCUS 1.2 (FOCUS_Spec specification/columns) and the older names of 1.0 and before;
# any other column in a file is reported as an extra column.
FOCUS_COLUMNS = frozenset(
    """AvailabilityZone BilledCost BillingAccountId BillingAccountName BillingAccountType BillingCurrency
    BillingPeriodEnd BillingPeriodStart CapacityReservationId CapacityReservationStatus ChargeCategory
    ChargeClass ChargeDescription ChargeFrequency ChargePeriodEnd ChargePeriodStart CommitmentDiscountCategory
    CommitmentDiscountId CommitmentDiscountName CommitmentDiscountQuantity CommitmentDiscountStatus
    CommitmentDiscountType CommitmentDiscountUnit ConsumedQuantity ConsumedUnit ContractedCost
    ContractedUnitPrice EffectiveCost InvoiceId InvoiceIssuerName ListCost ListUnitPrice PricingCategory
    PricingCurrency PricingCurrencyContractedUnitPrice PricingCurrencyEffectiveCost
    PricingCurrencyListUnitPrice PricingQuantity PricingUnit ProviderName PublisherName RegionId RegionName
    ResourceId ResourceName ResourceType ServiceCategory ServiceName ServiceSubcategory SkuId SkuMeter
    SkuPriceDetails SkuPriceId SubAccountId SubAccountName SubAccountType Tags
    ChargeSubcategory ChargeType UsageQuantity UsageUnit AmortizedCost Region""".lower().split()
)
SOURCE_FIELDS = {  # canonical name in focus.sql -> FOCUS column
    "currency_raw": "BillingCurrency",
    "start_raw": "ChargePeriodStart",
    "end_raw": "ChargePeriodEnd",
    "category_raw": "ChargeCategory",
    "charge_description": "ChargeDescription",
    "service_name": "ServiceName",
    "resource_id": "ResourceId",
    "sub_account_id": "SubAccountId",
}
REQUIRED = ("BillingCurrency", "ChargePeriodStart")
MATCH_RANK = {"ResourceId": 1, "SubAccountId": 2, "ServiceName": 3}  # the more specific match wins


def _sections() -> dict[str, str]:
    text = SQL_FILE.read_text(encoding="utf-8")
    parts = re.split(r"^-- name: (\w+)\s*$", text, flags=re.MULTILINE)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def _columns(conn: duckdb.DuckDBPyConnection, path: Path, fmt: str) -> tuple[str, dict[str, tuple[str, str]]]:
    """The file as a table function (CSV: every column as text) and its columns: lower name -> (name, type)."""
    if not path.exists():
        raise AdapterError("file not found")
    if fmt == "parquet":
        source = "read_parquet($path)"
    else:
        source = (
            "read_csv($path, all_varchar = true, header = true, nullstr = ['NULL', ''], encoding = 'utf-8')"
        )
    try:
        described = conn.execute(f"DESCRIBE SELECT * FROM {source}", {"path": str(path)}).fetchall()
    except duckdb.Error as exc:
        raise AdapterError(f"cannot read it as FOCUS {fmt.upper()}: {str(exc).splitlines()[0]}") from exc
    return source, {
        str(row[0]).lstrip("\ufeff").strip().lower(): (str(row[0]), str(row[1])) for row in described
    }


def _canonical_table(conn: duckdb.DuckDBPyConnection, path: Path, fmt: str, cost_column: str) -> list[str]:
    """Table `f` with the canonical columns focus.sql reads, in one pass over the file; returns the
    non-FOCUS (extra) columns."""
    source, columns = _columns(conn, path, fmt)
    missing = [name for name in (cost_column, *REQUIRED) if name.lower() not in columns]
    if missing:
        raise AdapterError(
            f"not a FOCUS cost export: column {', '.join(missing)} is missing "
            f"(expected FOCUS 1.0-1.2 columns such as {cost_column}, BillingCurrency, ChargePeriodStart)"
        )

    def text(focus_name: str) -> str:
        found = columns.get(focus_name.lower())
        if found is None:
            return "CAST(NULL AS VARCHAR)"
        name, dtype = found
        if focus_name == "Tags" and dtype.upper() != "VARCHAR":
            return f"CAST(to_json({quote_ident(name)}) AS VARCHAR)"
        return f"CAST({quote_ident(name)} AS VARCHAR)"

    select = [f"{text(cost_column)} AS cost_raw"]
    select += [f"{text(focus)} AS {alias}" for alias, focus in SOURCE_FIELDS.items()]
    select.append(f"{text('Tags')} AS tags")
    # the whole source row's identity: two bill rows that differ only in columns the contract does not
    # keep (SKU, quantity, ...) are two charges, not a duplicate
    select.append("md5(CAST(row(*COLUMNS(*)) AS VARCHAR)) AS row_key")
    try:
        conn.execute(
            f"CREATE TEMP TABLE f_read AS SELECT {', '.join(select)} FROM {source}", {"path": str(path)}
        )
    except duckdb.Error as exc:
        raise AdapterError(f"cannot read it as FOCUS {fmt.upper()}: {str(exc).splitlines()[0]}") from exc
    first_line = 1 if fmt == "parquet" else 2  # CSV: the header is line 1; rows keep the file's order
    conn.execute(f"CREATE TEMP VIEW f AS SELECT rowid + {first_line} AS line, * FROM f_read")
    return sorted(name for lower, (name, _t) in columns.items() if lower not in FOCUS_COLUMNS)


def _date_order(
    conn: duckdb.DuckDBPyConnection, sql: dict[str, str], path: Path, given: str | None
) -> str | None:
    """The order of day and month for dates like 5/1/25: the option, else what the file proves; a file
    whose slash dates could be either (or both) is refused, naming the value."""
    row = conn.execute(sql["slash_dates"]).fetchone()
    assert row is not None
    day_first, month_first, ambiguous, first_ambiguous, first_dmy, first_mdy = row
    if given:
        return given
    if not (day_first or month_first or ambiguous):
        return None
    if day_first and month_first:
        raise AdapterError(
            f"dates mix day-first ({first_dmy}) and month-first ({first_mdy}) order; fix the file"
        )
    if day_first:
        return "dmy"
    if month_first:
        return "mdy"
    raise AdapterError(
        f"date {first_ambiguous} is ambiguous (month/day or day/month); "
        "give --date-order mdy or --date-order dmy"
    )


def _attribute(
    conn: duckdb.DuckDBPyConnection, sql: dict[str, str], ctx: Context, options: dict[str, Any]
) -> tuple[str | None, dict[str, Any]]:
    """Fill table `attr`; returns the --deployment (if any) and notes on how rows were attributed."""
    conn.execute("CREATE TEMP TABLE attr (line BIGINT, deployments VARCHAR[], matched VARCHAR)")
    fixed = checked_deployment(ctx, options)
    if fixed:
        return fixed, {"attribution": f"--deployment {fixed}"}
    conn.execute("CREATE TEMP TABLE deployment_ids (id VARCHAR)")
    for dep_id in ctx.registry.ids:
        conn.execute("INSERT INTO deployment_ids VALUES (?)", [dep_id])
    tag = options.get("deployment_tag")
    if tag:
        path = '$."' + str(tag).replace("\\", "\\\\").replace('"', '\\"') + '"'
        conn.execute(sql["attribution_tag"], {"path": path})
        unknown = conn.execute(sql["unknown_tag_values"], {"path": path}).fetchall()
        notes: dict[str, Any] = {"attribution": f"--deployment-tag {tag}"}
        if unknown:
            notes["tag_values_not_in_registry"] = {str(value): count for value, count in unknown}
        return None, notes
    rules = [
        [dep_id, column, value.strip().lower(), value, MATCH_RANK[column]]
        for dep_id, deployment in ctx.registry.deployments.items()
        for column in MATCH_RANK
        for value in getattr(deployment.cost_match, column)
    ]
    if not rules:
        raise UsageError(
            "no deployment to attribute the FOCUS rows to: give --deployment ID or --deployment-tag KEY, "
            "or add cost_match (ResourceId, ServiceName, SubAccountId) to a deployment in the registry"
        )
    conn.execute(
        "CREATE TEMP TABLE cost_match (deployment VARCHAR, col VARCHAR, value VARCHAR, shown VARCHAR, rank INTEGER)"
    )
    conn.executemany("INSERT INTO cost_match VALUES (?, ?, ?, ?, ?)", rules)
    conn.execute(sql["attribution_cost_match"])
    return None, {"attribution": "registry cost_match"}


def convert(path: Path, ctx: Context, options: dict[str, Any]) -> list[Converted]:
    cost_column = str(options.get("cost_column") or "BilledCost")
    if cost_column not in COST_COLUMNS:
        raise UsageError(f"--cost-column {cost_column!r}: expected one of {', '.join(COST_COLUMNS)}")
    given_order = options.get("date_order")
    if given_order not in (None, *DATE_ORDERS):
        raise UsageError(f"--date-order {given_order!r}: expected one of {', '.join(DATE_ORDERS)}")
    fmt, gz = file_format(path, "csv")
    settings = ctx.settings
    sql = _sections()
    conn = duckdb.connect()
    try:
        conn.execute("SET TimeZone = 'UTC'")
        conn.execute(sql["macros"])
        extra = _canonical_table(conn, path, fmt, cost_column)
        date_order = _date_order(conn, sql, path, given_order)
        fixed, notes = _attribute(conn, sql, ctx, options)
        conn.execute("CREATE TEMP TABLE rates (currency VARCHAR, rate DOUBLE)")
        for code, rate in settings.currency_rates.items():
            conn.execute("INSERT INTO rates VALUES (?, ?)", [code, rate])
        conn.execute(
            sql["rows"],
            {
                "fixed": fixed,
                "date_order": date_order,
                "reporting": settings.currency,
                "cost_column": cost_column,
            },
        )
        relation = conn.sql(sql["staged"], params={"cost_column": cost_column})
        assert relation is not None
        table = relation.to_arrow_table()
        total_row = conn.execute("SELECT count(*) FROM f").fetchone()
        unattributed = conn.execute(sql["unattributed"], {"reporting": settings.currency}).fetchone()
    finally:
        conn.close()
    assert total_row is not None and unattributed is not None
    count, amount, unpriced = unattributed
    notes.update(
        {
            "source_rows": int(total_row[0]),
            "cost_column": cost_column,
            "unattributed_rows": int(count),
            "unattributed_amount": round(float(amount or 0), 6),
            "unattributed_currency": settings.currency,
        }
    )
    if unpriced:
        notes["unattributed_unpriced_rows"] = int(unpriced)
    if date_order:
        notes["date_order"] = date_order
    return [Converted("cost", fmt + (".gz" if gz else ""), table, notes, extra)]


class FocusAdapter:
    name = "focus"
    kinds = ("cost",)

    def read(self, path: Path, ctx: Context, options: dict[str, Any]) -> list[Staged]:
        return to_staged(path, self.name, convert(path, ctx, options))
