"""The `focus` adapter on the real FOCUS files (FOCUS-Sample-Data 1.0 and the FOCUS_Spec v1.2 SaaS and
virtual-currency examples, CC-BY-4.0) and on synthetic exports for each quirk. Expectations are computed
independently with the csv module and Decimal."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from shared_data import shared_files

from ingest.adapters import focus
from ingest.adapters._common import AdapterError
from postlaunch.config import Context
from postlaunch.errors import UsageError
from postlaunch.registry import parse_registry
from postlaunch.settings import Settings

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "focus"
SAMPLE = DATA / "focus_sample_1.0.csv"
EXAMPLES = shared_files("focus/spec_examples_v1.2/*.csv", at_least=15)
SQS = "Amazon Simple Queue Service"
ACCOUNT = "43883916739"


def make_ctx(rates: dict[str, float] | None = None, **extra: dict[str, Any]) -> Context:
    base = {
        "name": "n",
        "owner": "o",
        "risk_tier": "high",
        "launched": "2026-06-01",
        "approved_use_cases": ["a"],
    }
    deployments = {"support-triage": dict(base), **{k: {**base, **v} for k, v in extra.items()}}
    return Context(settings=Settings(currency_rates=rates or {}), registry=parse_registry(deployments))


def convert(path: Path, ctx: Context | None = None, **options: Any) -> focus.Converted:
    (item,) = focus.convert(path, ctx or make_ctx(), options)
    return item


def sample_rows() -> list[dict[str, str]]:
    with SAMPLE.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def iso_week(day: str) -> str:
    year, week, _ = dt.date.fromisoformat(day[:10]).isocalendar()
    return f"{year}-W{week:02d}"


def weekly(pairs: list[tuple[str, Decimal]]) -> dict[str, Decimal]:
    out: dict[str, Decimal] = defaultdict(Decimal)
    for day, amount in pairs:
        out[iso_week(day)] += amount
    return dict(out)


def test_sample_with_deployment_every_row_attributed_and_week_totals_match() -> None:
    item = convert(SAMPLE, deployment="support-triage")
    staged = item.table.to_pylist()
    source = sample_rows()
    assert len(staged) == len(source) == 1000
    assert all(r["deployment"] == "support-triage" and r["__reason"] is None for r in staged)
    assert item.extra_columns == ["Id"]  # the non-standard column passes, named as extra
    assert item.notes["unattributed_rows"] == 0 and item.notes["source_rows"] == 1000
    expected = weekly([(r["ChargePeriodStart"], Decimal(r["BilledCost"])) for r in source])
    got = weekly([(r["period_start"], Decimal(r["amount"])) for r in staged])
    assert got == expected
    assert sorted(expected) == ["2024-W35", "2024-W36", "2024-W37", "2024-W38", "2024-W39", "2024-W40"]
    # every row is within one day (hourly or daily charges): period_end is the start's day
    assert all(r["period_start"] == r["period_end"] for r in staged)


def test_sample_literal_nulls_and_categories() -> None:
    staged = convert(SAMPLE, deployment="support-triage").table.to_pylist()
    source = sample_rows()
    by_line = {r["__line"]: r for r in staged}
    nulls = sum(1 for r in source for v in r.values() if v == "NULL")
    assert nulls == 8973  # the literal NULL cells of the sample all pass
    categories = {src["ChargeCategory"]: by_line[i + 2]["category"] for i, src in enumerate(source)}
    assert categories == {"Usage": "usage", "Adjustment": "other", "Credit": "other"}
    credit = next(by_line[i + 2] for i, src in enumerate(source) if src["ChargeCategory"] == "Credit")
    assert Decimal(credit["amount"]) == Decimal("-2.6137")  # credits stay negative


def test_sample_effective_cost_column() -> None:
    staged = convert(SAMPLE, deployment="support-triage", cost_column="EffectiveCost").table.to_pylist()
    expected = sum(Decimal(r["EffectiveCost"]) for r in sample_rows())
    assert sum(Decimal(r["amount"]) for r in staged) == expected


def test_sample_with_registry_cost_match() -> None:
    ctx = make_ctx(**{"support-triage": {"cost_match": {"ServiceName": [SQS], "SubAccountId": [ACCOUNT]}}})
    item = convert(SAMPLE, ctx)
    source = sample_rows()
    matching = [r for r in source if r["ServiceName"] == SQS or r["SubAccountId"] == ACCOUNT]
    others = [r for r in source if not (r["ServiceName"] == SQS or r["SubAccountId"] == ACCOUNT)]
    assert item.table.num_rows == len(matching) == 23
    assert item.notes["unattributed_rows"] == len(others) == 977
    expected_sum = sum(Decimal(r["BilledCost"]) for r in others)
    assert item.notes["unattributed_amount"] == pytest.approx(float(expected_sum), abs=1e-6)
    assert item.notes["unattributed_currency"] == "USD"
    staged_sum = sum(Decimal(r["amount"]) for r in item.table.to_pylist())
    assert staged_sum == sum(Decimal(r["BilledCost"]) for r in matching)


def test_sample_with_deployment_tag() -> None:
    ctx = make_ctx(BrightPathMatrix={})
    item = convert(SAMPLE, ctx, deployment_tag="application")
    tagged = [
        r
        for r in sample_rows()
        if r["Tags"] != "NULL" and json.loads(r["Tags"]).get("application") == "BrightPathMatrix"
    ]
    assert item.table.num_rows == len(tagged) == 176
    assert {r["deployment"] for r in item.table.to_pylist()} == {"BrightPathMatrix"}
    assert item.notes["unattributed_rows"] == 1000 - 176
    assert item.notes["tag_values_not_in_registry"]["ZoomMapMax"] == 17


def test_no_attribution_rule_is_refused() -> None:
    with pytest.raises(UsageError, match="give --deployment ID or --deployment-tag KEY"):
        convert(SAMPLE)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_spec_examples_refused_without_date_order_and_load_with_it(path: Path) -> None:
    with pytest.raises(AdapterError, match=r'date ChargePeriodStart "\d+/\d+/\d+" \(line 2\) is ambiguous'):
        convert(path, deployment="support-triage")
    item = convert(path, deployment="support-triage", date_order="mdy")
    staged = item.table.to_pylist()
    with path.open(encoding="utf-8-sig", newline="") as handle:
        source = list(csv.DictReader(handle))
    assert len(staged) == len(source)
    assert all(r["__reason"] is None for r in staged)
    money = [Decimal(r["BilledCost"].strip().replace("$", "").replace(",", "")) for r in source]
    assert [Decimal(r["amount"]) for r in staged] == money
    for src, row in zip(source, staged, strict=True):
        month, day, year = (int(x) for x in src["ChargePeriodStart"].split("/"))
        assert row["period_start"] == dt.date(2000 + year, month, day).isoformat()


@pytest.mark.parametrize(
    ("file", "line", "expected"),
    [
        # "$10,000.00 " -> 10000; a 12-month purchase: ChargePeriodEnd 4/1/26 is exclusive
        ("simple_saas_agreements_a1.csv", 2, ("2025-04-01", "2026-03-31", "10000", "subscription")),
        ("simple_saas_agreements_c.csv", 3, ("2025-05-01", "2025-05-31", "13000", "usage")),
        # a token consumption day (4/1/25 - 4/2/25) billed at 0 USD: it loads, in USD
        ("virtual_currency_pricing_model_a2.csv", 2, ("2025-04-01", "2025-04-01", "0", "usage")),
        ("virtual_currency_pricing_model_c.csv", 2, ("2025-04-01", "2025-09-30", "3000", "subscription")),
    ],
)
def test_spec_example_values(file: str, line: int, expected: tuple[str, str, str, str]) -> None:
    staged = convert(DATA / "spec_examples_v1.2" / file, deployment="support-triage", date_order="mdy")
    row = next(r for r in staged.table.to_pylist() if r["__line"] == line)
    start, end, amount, category = expected
    assert (row["period_start"], row["period_end"], row["category"], row["currency"]) == (
        start,
        end,
        category,
        "USD",
    )
    assert Decimal(row["amount"]) == Decimal(amount)


HEADER = "BilledCost,EffectiveCost,BillingCurrency,ChargePeriodStart,ChargePeriodEnd,ChargeCategory,ChargeDescription,ServiceName,ResourceId,SubAccountId,Tags"


def write_csv(tmp_path: Path, *lines: str, name: str = "f.csv", bom: bool = False) -> Path:
    text = "\r\n".join([HEADER, *lines]) + "\r\n"
    path = tmp_path / name
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode())
    return path


@pytest.mark.parametrize(
    ("cost", "amount", "reason"),
    [
        ("$10,000.00 ", "10000", None),
        ("(5.25)", "-5.25", None),
        ("-$1,234.5", "-1234.5", None),
        ("1.5E-3", "0.0015", None),
        ("12,5", None, 'BilledCost "12,5" is not a decimal amount'),
        ("abc", None, 'BilledCost "abc" is not a decimal amount'),
        ("NULL", None, "BilledCost is empty (expected a decimal amount)"),
    ],
)
def test_amounts(tmp_path: Path, cost: str, amount: str | None, reason: str | None) -> None:
    quoted = f'"{cost}"'
    path = write_csv(
        tmp_path, f"{quoted},1,USD,2025-04-01T00:00:00Z,2025-04-02T00:00:00Z,Usage,d,S,r,a,NULL", bom=True
    )
    row = convert(path, deployment="support-triage").table.to_pylist()[0]
    assert row["__reason"] == reason
    if amount is not None:
        assert Decimal(row["amount"]) == Decimal(amount)


@pytest.mark.parametrize(
    ("start", "end", "order", "expected"),
    [
        ("13/1/25", "14/1/25", None, ("2025-01-13", "2025-01-13", "dmy")),  # a day above 12 proves day-first
        ("1/13/25", "1/14/25", None, ("2025-01-13", "2025-01-13", "mdy")),
        ("5/1/25", "6/1/25", "dmy", ("2025-01-05", "2025-01-05", "dmy")),
        ("5/1/25", "6/1/25", "mdy", ("2025-05-01", "2025-05-31", "mdy")),
        ("2024-09-18 22:00:00", "2024-09-18 23:00:00", None, ("2024-09-18", "2024-09-18", None)),
        ("2024-09-30T22:00:00-05:00", "2024-10-01T03:00:00Z", None, ("2024-10-01", "2024-10-01", None)),
        ("2025-04-01", "2025-04-01", None, ("2025-04-01", "2025-04-01", None)),  # empty period: one day
    ],
)
def test_dates(
    tmp_path: Path, start: str, end: str, order: str | None, expected: tuple[str, str, str | None]
) -> None:
    path = write_csv(tmp_path, f"1,1,USD,{start},{end},Usage,d,S,r,a,")
    item = convert(path, deployment="support-triage", date_order=order)
    row = item.table.to_pylist()[0]
    assert (row["period_start"], row["period_end"], item.notes.get("date_order")) == expected
    assert row["__reason"] is None


def test_date_problems(tmp_path: Path) -> None:
    mixed = write_csv(tmp_path, "1,1,USD,13/1/25,1/14/25,Usage,d,S,r,a,")
    with pytest.raises(AdapterError, match=r'mix day-first \(ChargePeriodStart "13/1/25" \(line 2\)\)'):
        convert(mixed, deployment="support-triage")
    bad = write_csv(
        tmp_path, "1,1,USD,13/1/25,,Usage,d,S,r,a,", "2,1,USD,yesterday,,Usage,d,S,r,a,", name="b.csv"
    )
    rows = convert(bad, deployment="support-triage", date_order="mdy").table.to_pylist()
    assert rows[0]["__reason"] == 'ChargePeriodStart "13/1/25" is not a date or timestamp in mdy order'
    assert rows[1]["__reason"] == 'ChargePeriodStart "yesterday" is not a date or timestamp in mdy order'


def test_currency_needs_a_rate(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        "10,10,eur,2025-04-01,2025-04-02,Usage,d,S,r,a,",
        "5,5,USD,2025-04-01,2025-04-02,Usage,d,S,r2,a,",
    )
    rows = convert(path, deployment="support-triage").table.to_pylist()
    assert (
        rows[0]["__reason"] == 'BillingCurrency "EUR" has no rate in currency_rates (reporting currency USD)'
    )
    assert rows[1]["__reason"] is None
    rows = convert(path, make_ctx(rates={"EUR": 1.08}), deployment="support-triage").table.to_pylist()
    assert [r["__reason"] for r in rows] == [None, None]
    assert rows[0]["currency"] == "EUR"


def test_cost_match_precedence_and_ambiguity(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        "1,1,USD,2025-04-01,2025-04-02,Usage,d,Bedrock,ARN-1,acct-1,",  # ResourceId (a) beats ServiceName (b)
        "2,2,USD,2025-04-01,2025-04-02,Usage,d,Bedrock,arn-2,acct-1,",  # ServiceName: b
        "3,3,USD,2025-04-01,2025-04-02,Usage,d,Other,arn-3,acct-2,",  # SubAccountId in a and c
        "4,4,USD,2025-04-01,2025-04-02,Usage,d,Other,arn-4,acct-9,",  # nobody's
    )
    ctx = make_ctx(
        a={"cost_match": {"ResourceId": ["arn-1"], "SubAccountId": ["acct-2"]}},
        b={"cost_match": {"ServiceName": ["bedrock"]}},
        c={"cost_match": {"SubAccountId": ["ACCT-2"]}},
    )
    item = convert(path, ctx)
    got = [(r["__line"], r["deployment"], r["__reason"]) for r in item.table.to_pylist()]
    assert got == [
        (2, "a", None),
        (3, "b", None),
        (4, None, 'SubAccountId "ACCT-2" is in the cost_match of a and c'),
    ]
    assert item.notes["unattributed_rows"] == 1 and item.notes["unattributed_amount"] == 4.0


def test_missing_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("BilledCost,ChargePeriodStart\n1,2025-04-01\n", encoding="utf-8")
    with pytest.raises(AdapterError, match="column BillingCurrency is missing"):
        convert(path, deployment="support-triage")


@pytest.mark.parametrize("option", [{"cost_column": "ListCost"}, {"date_order": "ymd"}])
def test_bad_options_are_refused(option: dict[str, str]) -> None:
    with pytest.raises(UsageError, match="expected one of"):
        convert(SAMPLE, deployment="support-triage", **option)


def test_parquet_and_gzip_read_like_csv(tmp_path: Path) -> None:
    gz = tmp_path / "sample.csv.gz"
    gz.write_bytes(gzip.compress(SAMPLE.read_bytes()))
    parquet = tmp_path / "sample.parquet"
    with duckdb.connect() as conn:
        conn.execute(
            f"COPY (SELECT * FROM read_csv('{SAMPLE}', all_varchar = true, nullstr = 'NULL')) TO '{parquet}' (FORMAT parquet)"
        )
    plain = convert(SAMPLE, deployment="support-triage")
    for path, fmt in ((gz, "csv.gz"), (parquet, "parquet")):
        item = convert(path, deployment="support-triage")
        assert item.format == fmt
        columns = ["period_start", "period_end", "amount", "category", "description"]
        assert item.table.select(columns).to_pylist() == plain.table.select(columns).to_pylist()


def test_typed_parquet(tmp_path: Path) -> None:
    """A Parquet export with real types: DECIMAL costs, TIMESTAMPTZ periods, Tags as a MAP."""
    path = tmp_path / "typed.parquet"
    with duckdb.connect() as conn:
        conn.execute("SET TimeZone = 'UTC'")
        conn.execute(
            f"""COPY (SELECT * FROM (VALUES
                (CAST(12.5 AS DECIMAL(18, 6)), 'USD', TIMESTAMPTZ '2025-04-01 00:00:00+00',
                 TIMESTAMPTZ '2025-04-02 00:00:00+00', 'Usage', 'Bedrock', MAP {{'app': 'support-triage'}}),
                (CAST(-1.25 AS DECIMAL(18, 6)), 'USD', TIMESTAMPTZ '2025-04-03 00:00:00+00',
                 TIMESTAMPTZ '2025-04-04 00:00:00+00', 'Credit', 'Bedrock', MAP {{'app': 'elsewhere'}})
            ) t(BilledCost, BillingCurrency, ChargePeriodStart, ChargePeriodEnd, ChargeCategory, ServiceName, Tags))
            TO '{path}' (FORMAT parquet)"""
        )
    item = convert(path, deployment_tag="app")
    assert item.format == "parquet"
    got = [
        (r["__line"], r["period_start"], r["period_end"], Decimal(r["amount"]), r["deployment"])
        for r in item.table.to_pylist()
    ]
    assert got == [(1, "2025-04-01", "2025-04-01", Decimal("12.5"), "support-triage")]
    assert item.notes["unattributed_rows"] == 1 and item.notes["unattributed_amount"] == -1.25
    assert item.notes["tag_values_not_in_registry"] == {"elsewhere": 1}
