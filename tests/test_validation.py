"""Validation: every kind of problem in data/ is reported as `file:line: field: ...`, all at once, and no graph is built.

Each test copies the tiny fixture (tests/fixtures/tiny), breaks exactly one thing and pins the exact message.
Line numbers are physical lines of the file (line 1 is the header).
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import socket
import stat
import subprocess
import sys
import unicodedata
from datetime import date
from pathlib import Path

import pytest

from conftest import ROOT, TINY
from graph_loader import pipeline
from graph_loader.errors import DataError
from graph_loader.pipeline import load


# ---------------------------------------------------------------------------------------------- helpers
def edit(path: Path, old: str, new: str) -> None:
    """Replace the one occurrence of `old` in a fixture file (fails loudly if the fixture changed)."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def rewrite_rows(path: Path, change) -> None:
    """Rewrite a CSV through the csv module; `change(row, index)` returns the new row (index 0 = header)."""
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(change(row, i) for i, row in enumerate(rows))
    path.write_text(out.getvalue(), encoding="utf-8")


def problems(data_dir: Path) -> list[str]:
    """The messages of a load that must fail: load raises DataError, so no graph is ever returned."""
    with pytest.raises(DataError) as raised:
        load(data_dir, risk_year=2008)
    return [str(p) for p in raised.value.problems]


TRADE_HEADER = "exporter,importer,year,value_usd_mn,dataset,estimate,source"


# ------------------------------------------------------------------------------------------ the baseline
def records(path: Path) -> int:
    """Data records of a CSV file (not lines: a quoted field may span lines)."""
    with path.open(encoding="utf-8", newline="") as f:
        return sum(1 for row in csv.reader(f) if row) - 1


def test_the_unbroken_tiny_fixture_loads(tiny_copy, tiny_dir):
    g, ds = load(tiny_copy, risk_year=2008)
    assert g.nodes["Country:THA"]["name"] == "Thailand"
    assert len(ds.tables["trade.csv"]) == records(tiny_dir / "trade.csv")


def test_broken_data_never_reaches_the_graph_builder(tiny_copy, tiny_dir, monkeypatch):
    calls = []
    real_build = pipeline.build_graph
    monkeypatch.setattr(pipeline, "build_graph", lambda ds: calls.append(ds) or real_build(ds))
    edit(
        tiny_copy / "activities.csv", "held,2008,3,,,1,,fixture,outreach\nA2,", "held,abc,3,,,1,,fixture,outreach\nA2,"
    )
    with pytest.raises(DataError):
        pipeline.load(tiny_copy)
    assert calls == []
    pipeline.load(tiny_dir, risk_year=2008)
    assert len(calls) == 1  # the spy does see a build when the data are valid


# ------------------------------------------------------------------------------------------ identifiers
def test_an_unknown_country_code_in_trade_is_reported_as_not_iso(tiny_copy):
    edit(tiny_copy / "trade.csv", "SGP,THA,2008,200,COW", "XXX,THA,2008,200,COW")
    assert problems(tiny_copy) == [
        "trade.csv:11: exporter: unknown country code 'XXX' "
        "(expected an ISO 3166-1 alpha-3 code listed in countries.csv)"
    ]


def test_an_unknown_country_code_in_countries_is_rejected_by_the_iso_check(tiny_copy):
    edit(
        tiny_copy / "countries.csv",
        "THA,Thailand,true,false,false,10,1,2,fixture\n",
        "THA,Thailand,true,false,false,10,1,2,fixture\nXXX,Nowhere,false,false,false,,,,fixture\n",
    )
    assert problems(tiny_copy) == [
        "countries.csv:10: iso3: unknown country code 'XXX' (expected an ISO 3166-1 alpha-3 code)"
    ]


def test_a_duplicate_country_code_is_reported_with_the_line_of_the_first(tiny_copy):
    edit(
        tiny_copy / "countries.csv",
        "USA,United States,false,false,true,,,,fixture\n",
        "USA,United States,false,false,true,,,,fixture\nTHA,Thailand again,true,false,false,10,1,2,fixture\n",
    )
    assert problems(tiny_copy) == ["countries.csv:11: iso3: duplicate key 'THA' (first on line 9)"]


def test_a_duplicate_relationship_row_is_reported_with_the_line_of_the_first(tiny_copy):
    edit(
        tiny_copy / "trade.csv",
        "THA,PRK,2009,10,IMF_DOTS,false,fixture\n",
        "THA,PRK,2009,10,IMF_DOTS,false,fixture\nTHA,CHN,2008,7,COW,false,fixture\n",
    )
    assert problems(tiny_copy) == [
        "trade.csv:13: exporter+importer+year+dataset: duplicate row for THA/CHN/2008/COW (first on line 4)"
    ]


def test_an_activity_using_a_tool_that_does_not_exist_is_a_missing_reference(tiny_copy):
    edit(
        tiny_copy / "activities.csv",
        "JPN,THA,industry_seminar,JPN-IOS,,held,2008,3,",
        "JPN,THA,teleportation,JPN-IOS,,held,2008,3,",
    )
    assert problems(tiny_copy) == [
        "activities.csv:2: tool: 'teleportation' refers to a missing Tool (not in tools.csv)"
    ]


def test_a_valid_iso_code_that_is_not_in_countries_is_a_missing_reference(tiny_copy):
    edit(tiny_copy / "trade.csv", "SGP,THA,2008,200,COW", "SGP,FRA,2008,200,COW")
    assert problems(tiny_copy) == ["trade.csv:11: importer: 'FRA' refers to a missing Country (not in countries.csv)"]


def test_a_list_column_reports_the_one_missing_target(tiny_copy):
    edit(
        tiny_copy / "activities.csv",
        "A1,Industry seminar Thailand,JPN,THA,",
        "A1,Industry seminar Thailand,JPN,THA;FRA,",
    )
    assert problems(tiny_copy) == [
        "activities.csv:2: targets: 'FRA' refers to a missing Country (not in countries.csv)"
    ]


# -------------------------------------------------------------------------------------- types and ranges
def test_a_year_that_is_not_a_number_is_a_wrong_type(tiny_copy):
    edit(
        tiny_copy / "activities.csv",
        "JPN-IOS,,held,2008,3,,,1,,fixture,outreach\nA2,",
        "JPN-IOS,,held,abc,3,,,1,,fixture,outreach\nA2,",
    )
    assert problems(tiny_copy) == ["activities.csv:2: year: 'abc' is not a whole number from 1980 to 2100"]


def test_a_category_of_five_is_out_of_range(tiny_copy):
    edit(tiny_copy / "assessments.csv", "A-MYS,MYS,2008-06-20,JPN,2,", "A-MYS,MYS,2008-06-20,JPN,5,")
    assert problems(tiny_copy) == [
        "assessments.csv:3: category: 5 is out of range (expected a whole number from 1 to 4)"
    ]


def test_month_thirteen_is_out_of_range(tiny_copy):
    edit(
        tiny_copy / "activities.csv",
        "JPN-IOS,,held,2008,3,,,1,,fixture,outreach\nA2,",
        "JPN-IOS,,held,2008,13,,,1,,fixture,outreach\nA2,",
    )
    assert problems(tiny_copy) == ["activities.csv:2: month: 13 is out of range (expected a whole number from 1 to 12)"]


def test_a_flag_that_is_not_true_or_false_is_a_wrong_type(tiny_copy):
    edit(tiny_copy / "countries.csv", "AUS,Australia,false,false,true,", "AUS,Australia,false,false,maybe,")
    # only the flag: AUS is not also called "not a partner" by the activities and roles it delivers
    assert problems(tiny_copy) == [
        "countries.csv:2: partner: 'maybe' is not true or false (expected true/false, yes/no or 1/0)"
    ]


def test_an_element_outside_its_enum_is_reported_with_the_allowed_values(tiny_copy):
    edit(
        tiny_copy / "assessments.csv",
        "A-SGP,SGP,2008-06-20,JPN,4,yes,yes,yes,no,",
        "A-SGP,SGP,2008-06-20,JPN,4,yes,yes,yes,perhaps,",
    )
    assert problems(tiny_copy) == [
        "assessments.csv:4: industry_cooperation: 'perhaps' is not allowed (expected one of yes, no, unknown)"
    ]


def test_a_missing_required_value_is_reported(tiny_copy):
    edit(tiny_copy / "countries.csv", "THA,Thailand,", "THA,,")
    assert problems(tiny_copy) == ["countries.csv:9: name: missing value (expected text)"]


def test_the_thirtieth_of_february_is_not_a_date(tiny_copy):
    edit(tiny_copy / "activities.csv", ",2008-09-15,", ",2008-02-30,")
    assert problems(tiny_copy) == ["activities.csv:8: date: '2008-02-30' is not a valid date (expected YYYY-MM-DD)"]


# ----------------------------------------------------------------------------------------- file shape
def test_a_missing_required_column_is_reported_with_the_expected_header(tiny_copy):
    rewrite_rows(tiny_copy / "trade.csv", lambda row, i: row[:-1])  # drop `source`, the last column
    assert problems(tiny_copy) == [f"trade.csv:1: source: missing required column (expected header: {TRADE_HEADER})"]


def test_an_unknown_column_is_reported_with_the_allowed_columns(tiny_copy):
    rewrite_rows(tiny_copy / "trade.csv", lambda row, i: row + ["colour" if i == 0 else "red"])
    assert problems(tiny_copy) == [f"trade.csv:1: colour: unknown column (expected one of: {TRADE_HEADER})"]


def test_a_column_named_twice_is_reported(tiny_copy):
    rewrite_rows(tiny_copy / "trade.csv", lambda row, i: row + ["year" if i == 0 else "2008"])
    assert problems(tiny_copy) == ["trade.csv:1: year: column appears more than once in the header"]


def test_a_ragged_row_is_reported_with_both_field_counts(tiny_copy):
    edit(tiny_copy / "trade.csv", "SGP,THA,2008,200,COW,false,fixture", "SGP,THA,2008,200,COW,false,fixture,extra")
    assert problems(tiny_copy) == ["trade.csv:11: (row): row has 8 fields, the header has 7"]


def test_an_empty_file_asks_for_the_header(tiny_copy):
    (tiny_copy / "trade.csv").write_bytes(b"")
    assert problems(tiny_copy) == [f"trade.csv:1: (header): file is empty (expected a header row: {TRADE_HEADER})"]


def test_a_missing_file_is_reported(tiny_copy):
    (tiny_copy / "trade.csv").unlink()
    assert problems(tiny_copy) == ["trade.csv:0: (file): file not found (expected by the schema)"]


def test_a_semicolon_separated_file_is_reported_as_the_wrong_delimiter(tiny_copy):
    path = tiny_copy / "trade.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",", ";"), encoding="utf-8")
    assert problems(tiny_copy) == ["trade.csv:1: (header): columns are separated by semicolons (expected commas)"]


def test_latin1_bytes_are_reported_as_unreadable_encoding_on_their_line(tiny_copy):
    path = tiny_copy / "countries.csv"
    path.write_bytes(path.read_text(encoding="utf-8").replace("Thailand", "Thaïland").encode("latin-1"))
    # only the cause: references into the unreadable countries.csv are not reported one by one
    assert problems(tiny_copy) == [
        "countries.csv:9: name: byte 0xef — 'ï' in Windows-1252 — is not valid UTF-8 (expected UTF-8 text "
        "throughout: was the file, or a paste into it, saved as Windows-1252/Latin-1?)"
    ]


def test_an_unreadable_node_file_on_the_real_data_is_not_buried_under_its_references(tmp_path):
    import shutil

    data = tmp_path / "data"
    shutil.copytree(Path(__file__).resolve().parents[1] / "data", data)
    lines = (data / "countries.csv").read_bytes().count(b"\n")
    with (data / "countries.csv").open("ab") as f:
        f.write(b"\xe9")
    with pytest.raises(DataError) as raised:
        load(data)
    assert [str(p) for p in raised.value.problems] == [
        f"countries.csv:{lines + 1}: iso3: byte 0xe9 — 'é' in Windows-1252 — is not valid UTF-8 (expected "
        "UTF-8 text throughout: was the file, or a paste into it, saved as Windows-1252/Latin-1?)"
    ]


# ------------------------------------------------------------------------------------------ domain rules
def test_a_category_that_disagrees_with_its_four_elements_names_the_derived_category(tiny_copy):
    edit(tiny_copy / "assessments.csv", "A-THA,THA,2008-06-20,JPN,1,no,", "A-THA,THA,2008-06-20,JPN,2,no,")
    assert problems(tiny_copy) == [
        "assessments.csv:2: category: 2 disagrees with the elements "
        "(intention=no/laws=unknown/enforcement=unknown/industry_cooperation=unknown), which give category 1"
    ]


def test_a_category_after_an_unknown_element_cannot_be_derived(tiny_copy):
    edit(tiny_copy / "assessments.csv", "A-MYS,MYS,2008-06-20,JPN,2,yes,no,", "A-MYS,MYS,2008-06-20,JPN,2,unknown,no,")
    assert problems(tiny_copy) == [
        "assessments.csv:3: category: cannot follow from the elements "
        "(intention=unknown/laws=no/enforcement=unknown/industry_cooperation=unknown): an element before the "
        "first 'no' is unknown (expected yes/no up to the first unmet element)"
    ]


def test_a_tool_assigned_to_a_country_that_is_not_a_partner_is_rejected(tiny_copy):
    edit(tiny_copy / "role_sharing.csv", "USA,1,bilateral_discussion,", "THA,1,bilateral_discussion,")
    assert problems(tiny_copy) == [
        "role_sharing.csv:2: partner: 'THA' is not a partner country (expected partner=true in countries.csv)"
    ]


def test_a_partner_assigned_a_tool_that_does_not_exist_is_a_missing_reference(tiny_copy):
    edit(tiny_copy / "role_sharing.csv", "USA,1,bilateral_discussion,", "USA,1,teleportation,")
    assert problems(tiny_copy) == [
        "role_sharing.csv:2: tool: 'teleportation' refers to a missing Tool (not in tools.csv)"
    ]


def test_a_role_for_category_five_is_out_of_range(tiny_copy):
    edit(tiny_copy / "role_sharing.csv", "USA,1,bilateral_discussion,", "USA,5,bilateral_discussion,")
    assert problems(tiny_copy) == [
        "role_sharing.csv:2: category: 5 is out of range (expected a whole number from 1 to 4)"
    ]


def test_a_country_trading_with_itself_is_a_self_tie(tiny_copy):
    edit(tiny_copy / "trade.csv", "SGP,THA,2008,200,COW", "SGP,SGP,2008,200,COW")
    assert problems(tiny_copy) == [
        "trade.csv:11: importer: 'SGP' is the same country as exporter (expected two different countries)"
    ]


def test_a_self_tie_in_a_pair_file_names_the_first_column(tiny_copy):
    edit(tiny_copy / "distances.csv", "MYS,THA,1200,", "THA,THA,1200,")
    assert problems(tiny_copy) == [
        "distances.csv:5: iso3_b: 'THA' is the same country as iso3_a (expected two different countries)"
    ]


def test_an_activity_date_outside_its_year_is_reported(tiny_copy):
    edit(tiny_copy / "activities.csv", ",2008-09-15,", ",2009-09-15,")
    assert problems(tiny_copy) == ["activities.csv:8: date: 2009-09-15 is not in year 2008 (expected the same year)"]


def test_an_activity_date_outside_its_month_is_reported(tiny_copy):
    edit(tiny_copy / "activities.csv", ",2008-09-15,", ",2008-10-15,")
    assert problems(tiny_copy) == ["activities.csv:8: date: 2008-10-15 is not in month 9 (expected the same month)"]


def test_a_period_that_ends_before_it_starts_is_reported(tiny_copy):
    edit(tiny_copy / "rivalries.csv", ",1950,1960,", ",1950,1940,")
    assert problems(tiny_copy) == [
        "rivalries.csv:2: end_year: 1940 is before start_year 1950 (expected a later or equal year)"
    ]


def test_a_contact_with_neither_country_nor_organisation_is_reported(tiny_copy):
    edit(tiny_copy / "contacts.csv", "C2,Thai POC,Director,MFA,THA,", "C2,Thai POC,Director,MFA,,")
    assert problems(tiny_copy) == ["contacts.csv:3: country: missing value (expected a country or an organisation)"]


# --------------------------------------------------------------------------------------- all at once
def test_problems_in_two_files_are_reported_together_in_file_order(tiny_copy):
    edit(tiny_copy / "trade.csv", "SGP,THA,2008,200,COW", "XXX,THA,2008,200,COW")
    edit(
        tiny_copy / "activities.csv",
        "JPN-IOS,,held,2008,3,,,1,,fixture,outreach\nA2,",
        "JPN-IOS,,held,abc,3,,,1,,fixture,outreach\nA2,",
    )
    assert problems(tiny_copy) == [
        "activities.csv:2: year: 'abc' is not a whole number from 1980 to 2100",
        "trade.csv:11: exporter: unknown country code 'XXX' "
        "(expected an ISO 3166-1 alpha-3 code listed in countries.csv)",
    ]


def test_several_problems_in_one_file_are_all_reported(tiny_copy):
    edit(
        tiny_copy / "activities.csv",
        "JPN-IOS,,held,2008,3,,,1,,fixture,outreach\nA2,",
        "JPN-IOS,,held,abc,13,,,1,,fixture,outreach\nA2,",
    )
    edit(tiny_copy / "activities.csv", ",2008-09-15,", ",2008-02-30,")
    assert problems(tiny_copy) == [
        "activities.csv:2: month: 13 is out of range (expected a whole number from 1 to 12)",
        "activities.csv:2: year: 'abc' is not a whole number from 1980 to 2100",
        "activities.csv:8: date: '2008-02-30' is not a valid date (expected YYYY-MM-DD)",
    ]


def test_the_error_summary_counts_and_lists_every_problem(tiny_copy):
    edit(tiny_copy / "trade.csv", "SGP,THA,2008,200,COW", "SGP,SGP,2008,200,COW")
    edit(tiny_copy / "countries.csv", "THA,Thailand,", "THA,,")
    with pytest.raises(DataError) as raised:
        load(tiny_copy)
    assert raised.value.summary() == (
        "2 problems in data:\n"
        "countries.csv:9: name: missing value (expected text)\n"
        "trade.csv:11: importer: 'SGP' is the same country as exporter (expected two different countries)"
    )


# ------------------------------------------------------------------------------- what is tolerated
def test_a_byte_order_mark_is_refused_in_each_file_and_tidied_files_load_whole(tiny_copy, tiny_dir):
    from graph_loader.tidy import tidy

    for name in ("countries.csv", "trade.csv"):
        path = tiny_copy / name
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert [p.split(": ")[0] for p in problems(tiny_copy)] == ["countries.csv:1", "trade.csv:1"]
    assert len(tidy(tiny_copy)) == 2
    g, ds = load(tiny_copy, risk_year=2008)
    assert ds.tables["countries.csv"].data["iso3"][0] == "AUS"  # the header is `iso3`, not '\ufeffiso3'
    assert sum(1 for _, d in g.nodes(data=True) if d["label"] == "Country") == 9
    assert len(ds.tables["trade.csv"]) == records(tiny_dir / "trade.csv")


def test_a_byte_order_mark_is_refused_and_after_tidy_line_numbers_are_unchanged(tiny_copy):
    from graph_loader.tidy import tidy

    path = tiny_copy / "countries.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"THA,Thailand,", b"THA,,"))
    assert problems(tiny_copy) == [
        "countries.csv:1: (encoding): file starts with a UTF-8 byte-order mark, as Excel's 'CSV UTF-8' writes "
        "(expected UTF-8 without one; python -m graph_loader tidy removes it)"
    ]
    assert [str(t) for t in tidy(tiny_copy)] == ["countries.csv: removed a byte-order mark"]
    assert problems(tiny_copy) == ["countries.csv:9: name: missing value (expected text)"]


def _with_a_multiline_note(path: Path) -> None:
    edit(
        path,
        "A1,Industry seminar Thailand,JPN,THA,industry_seminar,JPN-IOS,,held,2008,3,,,1,,fixture,outreach\n",
        "A1,Industry seminar Thailand,JPN,THA,industry_seminar,JPN-IOS,,held,2008,3,,,1,"
        '"first line of the note\nsecond line, with a comma\n\nfourth line after a blank one",fixture,outreach\n',
    )  # lines 2-5
    # A2 is now on line 6, A3 on line 7


def test_a_multiline_note_with_a_blank_line_inside_its_quotes_is_kept_whole(tiny_copy, tiny_dir):
    _with_a_multiline_note(tiny_copy / "activities.csv")
    g, ds = load(tiny_copy, risk_year=2008)
    n = records(tiny_dir / "activities.csv")
    assert len(ds.tables["activities.csv"]) == n
    assert ds.tables["activities.csv"].lines == [2] + list(range(6, 6 + n - 1))  # lines 3-5 are the note
    assert g.nodes["Activity:A1"]["note"] == (
        "first line of the note\nsecond line, with a comma\n\nfourth line after a blank one"
    )


def test_line_numbers_after_a_multiline_note_are_physical_lines(tiny_copy):
    _with_a_multiline_note(tiny_copy / "activities.csv")
    edit(
        tiny_copy / "activities.csv",
        "A3,Officer training Malaysia (AU),AUS,MYS,officer_training,,,planned,2008,",
        "A3,Officer training Malaysia (AU),AUS,MYS,officer_training,,,planned,abc,",
    )
    assert problems(tiny_copy) == ["activities.csv:7: year: 'abc' is not a whole number from 1980 to 2100"]


def test_blank_lines_outside_quotes_are_refused_on_their_lines_and_tidy_removes_them(tiny_copy):
    from graph_loader.tidy import tidy

    _with_a_multiline_note(tiny_copy / "activities.csv")
    edit(
        tiny_copy / "activities.csv",
        'fourth line after a blank one",fixture,outreach\n',
        'fourth line after a blank one",fixture,outreach\n\n   \n',
    )  # lines 6 and 7
    assert problems(tiny_copy) == [
        "activities.csv:6: (row): blank line (expected a record; python -m graph_loader tidy removes blank lines)",
        "activities.csv:7: (row): blank line (expected a record; python -m graph_loader tidy removes blank lines)",
    ]
    assert [str(t) for t in tidy(tiny_copy)] == ["activities.csv: removed 2 blank line(s)/row(s) (line 6, 7)"]
    g, _ = load(tiny_copy, risk_year=2008)  # the blank line inside the quoted note is part of the note: kept
    assert g.nodes["Activity:A1"]["note"].count("\n\n") == 1


def test_windows_line_endings_keep_line_numbers(tiny_copy):
    path = tiny_copy / "countries.csv"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n").replace(b"THA,Thailand,", b"THA,,"))
    assert problems(tiny_copy) == ["countries.csv:9: name: missing value (expected text)"]


def test_an_activity_listing_the_same_target_twice_is_refused(tiny_copy):
    from graph_loader.errors import DataError
    from graph_loader.pipeline import load

    path = tiny_copy / "activities.csv"
    text = path.read_text(encoding="utf-8").replace(
        "A1,Industry seminar Thailand,JPN,THA,", "A1,Industry seminar Thailand,JPN,THA;MYS;THA,"
    )
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as e:
        load(tiny_copy)
    assert [str(p) for p in e.value.problems] == [
        "activities.csv:2: targets: THA listed more than once (expected each target country once)"
    ]


def test_loading_leaves_the_garbage_collector_alone_even_when_the_data_are_refused(tiny_copy, monkeypatch):
    """Library code never switches the collector (a process-wide setting): validate, build_graph and
    write_scores neither disable nor enable it, on a load, a refused load, or with the caller's collector off."""
    import gc

    switched = []
    monkeypatch.setattr(gc, "disable", lambda: switched.append("disable"))
    monkeypatch.setattr(gc, "enable", lambda: switched.append("enable"))
    assert gc.isenabled()
    load(tiny_copy, risk_year=2008)
    edit(tiny_copy / "countries.csv", "THA,", "TH@,")
    problems(tiny_copy)
    assert gc.isenabled() and switched == []


def test_problems_are_listed_in_the_same_order_whichever_file_is_read_last(tiny_copy, monkeypatch):
    """The largest file is parsed from the start and checked last; its problems still take their place."""
    from graph_loader import validate as validation

    edit(
        tiny_copy / "activities.csv",
        "A2,Officer training Malaysia (US),USA,MYS,",
        "A1,Officer training Malaysia (US),USA,XXA,",
    )  # duplicate key, unknown target
    edit(tiny_copy / "trade.csv", "SGP,THA,2008,200,COW", "SGP,SGP,2008,200,COW")  # a rule (self-tie)
    edit(tiny_copy / "countries.csv", "CHN,China,true,true,false,20,", "CHN,China,maybe,true,false,20,")  # read
    edit(tiny_copy / "assessments.csv", "A-THA,THA,", "A-THA,ZZZ,")  # a reference
    orders = {}
    for last in ("trade.csv", "activities.csv", "countries.csv", "assessments.csv", "role_sharing.csv"):
        monkeypatch.setattr(validation, "_largest", lambda root, files, last=last: last)
        orders[last] = problems(tiny_copy)
    first = orders["trade.csv"]
    assert len(first) == 5 and all(found == first for found in orders.values())
    assert [p.split(":")[0] for p in first] == [
        "activities.csv",
        "activities.csv",
        "assessments.csv",
        "countries.csv",
        "trade.csv",
    ]


# ------------------------------------------------------------------- what a data file may be (the filesystem)
# Each builder puts something that is not a readable regular file inside the data folder where trade.csv was;
# the loader must refuse it from lstat/stat alone (a FIFO is never opened, /dev/zero never read) with one
# problem, exit 1 in a real process, and never print a byte of a file outside the folder.
OUTSIDE_FILE = Path("/etc/passwd")


def _link_out(data: Path) -> str:
    (data / "trade.csv").unlink()
    (data / "trade.csv").symlink_to(OUTSIDE_FILE)
    return (
        f"trade.csv:0: (file): is a symbolic link to a file outside the data folder (expected a regular file "
        f"inside {data})"
    )


def _link_to_dev_zero(data: Path) -> str:
    (data / "trade.csv").unlink()
    (data / "trade.csv").symlink_to("/dev/zero")
    return (
        f"trade.csv:0: (file): is a symbolic link to a file outside the data folder (expected a regular file "
        f"inside {data})"
    )


def _relative_link_out(data: Path) -> str:
    secret = data.parent / "secret.csv"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
    (data / "trade.csv").unlink()
    (data / "trade.csv").symlink_to(Path("..") / "secret.csv")
    return (
        f"trade.csv:0: (file): is a symbolic link to a file outside the data folder (expected a regular file "
        f"inside {data})"
    )


def _fifo(data: Path) -> str:
    (data / "trade.csv").unlink()
    os.mkfifo(data / "trade.csv")
    return "trade.csv:0: (file): is a named pipe (FIFO), not a regular file (expected a regular CSV file)"


def _directory(data: Path) -> str:
    (data / "trade.csv").unlink()
    (data / "trade.csv").mkdir()
    return "trade.csv:0: (file): is a directory, not a file (expected a regular CSV file)"


def _socket(data: Path) -> str:
    (data / "trade.csv").unlink()
    here = os.getcwd()
    os.chdir(data)  # a relative name: a socket path may be no longer than 107 bytes
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.bind("trade.csv")  # the socket file stays after the socket closes
    finally:
        os.chdir(here)
    return "trade.csv:0: (file): is a socket, not a regular file (expected a regular CSV file)"


def _dangling_link(data: Path) -> str:
    (data / "trade.csv").unlink()
    (data / "trade.csv").symlink_to(data / "trade-2008.csv")  # inside the folder, but nothing there
    return "trade.csv:0: (file): cannot be read (No such file or directory)"


def _link_loop(data: Path) -> str:
    (data / "trade.csv").unlink()
    (data / "trade.csv").symlink_to("trade-b.csv")
    (data / "trade-b.csv").symlink_to("trade.csv")
    return "trade.csv:0: (file): cannot be read (Too many levels of symbolic links)"


FILESYSTEM = {
    "link-out-to-etc-passwd": _link_out,
    "link-to-dev-zero": _link_to_dev_zero,
    "relative-link-out": _relative_link_out,
    "fifo": _fifo,
    "directory": _directory,
    "socket": _socket,
    "dangling-link": _dangling_link,
    "link-loop": _link_loop,
}


@pytest.mark.parametrize("make", FILESYSTEM.values(), ids=FILESYSTEM.keys())
def test_what_is_not_a_regular_file_inside_the_folder_is_refused_by_what_it_is(tiny_copy, make):
    expected = make(tiny_copy)
    assert problems(tiny_copy) == [expected]


@pytest.mark.parametrize("make", FILESYSTEM.values(), ids=FILESYSTEM.keys())
def test_validate_in_a_real_process_exits_1_with_the_line_and_prints_nothing_of_the_file(tiny_copy, make):
    expected = make(tiny_copy)
    done = subprocess.run(
        [sys.executable, "-m", "graph_loader", "validate", "--data", str(tiny_copy)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )  # a FIFO opened would hang here
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == f"1 problem in data:\n{expected}\n"
    assert "Traceback" not in done.stderr and "root:" not in done.stderr


def test_a_link_to_a_regular_file_inside_the_folder_is_read_as_that_file(tiny_copy):
    (tiny_copy / "sources").mkdir()
    (tiny_copy / "trade.csv").rename(tiny_copy / "sources" / "trade-2008.csv")
    (tiny_copy / "trade.csv").symlink_to(Path("sources") / "trade-2008.csv")
    _, ds = load(tiny_copy, risk_year=2008)
    assert len(ds.tables["trade.csv"]) == records(TINY / "trade.csv")


def test_a_data_folder_reached_through_a_link_reads_its_links_inside_it(tiny_copy, tmp_path):
    (tiny_copy / "trade.csv").rename(tiny_copy / "trade-2008.csv")
    (tiny_copy / "trade.csv").symlink_to("trade-2008.csv")
    (tmp_path / "current").symlink_to(tiny_copy)
    load(tmp_path / "current", risk_year=2008)


def test_every_kind_of_file_that_is_not_regular_is_named_for_what_it_is():
    from graph_loader.read import kind_problem

    assert kind_problem(stat.S_IFREG | 0o644) is None
    assert {
        kind: kind_problem(kind | 0o644)
        for kind in (stat.S_IFDIR, stat.S_IFIFO, stat.S_IFCHR, stat.S_IFBLK, stat.S_IFSOCK)
    } == {
        stat.S_IFDIR: "is a directory, not a file (expected a regular CSV file)",
        stat.S_IFIFO: "is a named pipe (FIFO), not a regular file (expected a regular CSV file)",
        stat.S_IFCHR: "is a character device, not a regular file (expected a regular CSV file)",
        stat.S_IFBLK: "is a block device, not a regular file (expected a regular CSV file)",
        stat.S_IFSOCK: "is a socket, not a regular file (expected a regular CSV file)",
    }


def test_a_device_inside_the_folder_is_refused_as_a_device_without_being_read(tiny_copy):
    (tiny_copy / "trade.csv").unlink()
    try:
        os.mknod(tiny_copy / "trade.csv", stat.S_IFCHR | 0o644, os.makedev(1, 5))  # what /dev/zero is
    except PermissionError:  # no CAP_MKNOD here: the mode alone is checked above
        return
    assert problems(tiny_copy) == [
        "trade.csv:0: (file): is a character device, not a regular file (expected a regular CSV file)"
    ]


def _grow(path: Path, at_least: int) -> None:
    """Append valid trade rows (years 1990-2099 of one pair) until the file has at least `at_least` bytes."""
    rows = "".join(f"AUS,USA,{y},1,COW,false,padding {'x' * 40}\n" for y in range(1990, 2100))
    path.write_text(path.read_text(encoding="utf-8") + rows, encoding="utf-8")
    assert path.stat().st_size >= at_least


def test_a_file_over_the_size_limit_is_refused_before_it_is_read_and_the_limit_is_configurable(tiny_copy, monkeypatch):
    _grow(tiny_copy / "trade.csv", 8000)
    size = (tiny_copy / "trade.csv").stat().st_size
    monkeypatch.setenv("OUTREACH_MAX_FILE_MB", "0.005")  # 5,242 bytes: only the grown trade.csv is larger
    reads = []
    real = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: reads.append(self.name) or real(self))
    assert problems(tiny_copy) == [
        f"trade.csv:0: (file): is {size:,} bytes, more than the limit of 5,242 bytes (OUTREACH_MAX_FILE_MB=0.005; "
        "expected a smaller file, or a higher limit)"
    ]
    assert "trade.csv" not in reads
    monkeypatch.setenv("OUTREACH_MAX_FILE_MB", "1")
    load(tiny_copy, risk_year=2008)


def test_the_default_size_limit_is_512_mb(tiny_copy, monkeypatch):
    from graph_loader.read import max_file_mb

    monkeypatch.delenv("OUTREACH_MAX_FILE_MB", raising=False)
    assert max_file_mb() == (512, "the default; set OUTREACH_MAX_FILE_MB to change it")


@pytest.mark.parametrize("value", ["abc", "0", "-5", "inf", "１"])
def test_a_size_limit_that_is_not_a_positive_number_is_a_configuration_error(tiny_copy, value):
    done = subprocess.run(
        [sys.executable, "-m", "graph_loader", "validate", "--data", str(tiny_copy)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "OUTREACH_MAX_FILE_MB": value},
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        f"error: OUTREACH_MAX_FILE_MB={value!r} is not a number of megabytes above 0 (expected e.g. 512)\n"
    )


def test_several_refused_files_are_reported_together_and_nothing_is_loaded(tiny_copy):
    _fifo(tiny_copy)
    (tiny_copy / "countries.csv").unlink()
    (tiny_copy / "countries.csv").symlink_to(OUTSIDE_FILE)
    edit(tiny_copy / "tools.csv", "tool_id,", "tool_id\u202e,")
    assert problems(tiny_copy) == [
        f"countries.csv:0: (file): is a symbolic link to a file outside the data folder (expected a regular file "
        f"inside {tiny_copy})",
        "tools.csv:1: (encoding): bidirectional control character U+202E (RIGHT-TO-LEFT OVERRIDE), which is "
        "invisible and changes the order in which the text around it is displayed, so one key or name can "
        "display as another (expected text without direction controls)",
        "trade.csv:0: (file): is a named pipe (FIFO), not a regular file (expected a regular CSV file)",
    ]


# ------------------------------------------------------------------------------ tidy reads what validate reads
def test_tidy_refuses_a_link_out_of_the_folder_and_writes_nothing_through_it(tiny_copy, tmp_path):
    outside = tmp_path / "elsewhere.csv"
    outside.write_bytes(b"\xef\xbb\xbf" + (TINY / "trade.csv").read_bytes() + b"\n\n")  # what tidy would fix
    before = outside.read_bytes()
    (tiny_copy / "trade.csv").unlink()
    (tiny_copy / "trade.csv").symlink_to(outside)
    (tiny_copy / "tools.csv").write_bytes(b"\xef\xbb\xbf" + (TINY / "tools.csv").read_bytes())
    done = subprocess.run(
        [sys.executable, "-m", "graph_loader", "tidy", "--data", str(tiny_copy)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (
        f"1 problem in data:\ntrade.csv:0: (file): is a symbolic link to a file outside the data "
        f"folder (expected a regular file inside {tiny_copy})\n"
    )
    assert outside.read_bytes() == before and (tiny_copy / "trade.csv").is_symlink()
    assert (tiny_copy / "tools.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # refused whole: nothing tidied


@pytest.mark.parametrize("make", [_fifo, _directory, _link_to_dev_zero, _dangling_link], ids=lambda f: f.__name__)
def test_tidy_refuses_what_validate_refuses_without_hanging(tiny_copy, make):
    from graph_loader.tidy import tidy

    expected = make(tiny_copy)
    with pytest.raises(DataError) as raised:
        tidy(tiny_copy)
    assert [str(p) for p in raised.value.problems] == [expected]


def test_tidy_rewrites_the_file_a_link_inside_the_folder_points_to_and_keeps_the_link(tiny_copy):
    from graph_loader.tidy import tidy

    (tiny_copy / "trade-2008.csv").write_bytes(b"\xef\xbb\xbf" + (TINY / "trade.csv").read_bytes())
    (tiny_copy / "trade.csv").unlink()
    (tiny_copy / "trade.csv").symlink_to("trade-2008.csv")
    assert [str(t) for t in tidy(tiny_copy)] == ["trade-2008.csv: removed a byte-order mark"]
    assert (tiny_copy / "trade.csv").is_symlink()
    assert (tiny_copy / "trade-2008.csv").read_bytes() == (TINY / "trade.csv").read_bytes()


def test_tidy_over_the_size_limit_is_refused(tiny_copy, monkeypatch):
    from graph_loader.tidy import tidy

    _grow(tiny_copy / "trade.csv", 8000)
    monkeypatch.setenv("OUTREACH_MAX_FILE_MB", "0.005")
    with pytest.raises(DataError) as raised:
        tidy(tiny_copy)
    assert [p.file for p in raised.value.problems] == ["trade.csv"]


# -------------------------------------------------------------------------------- files named by what they are
@pytest.mark.parametrize(
    "head, expected",
    [
        (
            b"BZh91AY&SY\x00\x01",
            "is a bzip2-compressed file, not CSV text (expected CSV text: decompress it first, e.g. with bunzip2)",
        ),
        (
            b"\xfd7zXZ\x00\x00\x04",
            "is an xz-compressed file, not CSV text (expected CSV text: decompress it first, e.g. with unxz)",
        ),
        (
            b"\x28\xb5\x2f\xfd\x24\x00",
            "is a zstd-compressed file, not CSV text (expected CSV text: decompress it first, e.g. with unzstd)",
        ),
        (
            b"7z\xbc\xaf\x27\x1c\x00\x04",
            "is a 7z archive, not CSV text (expected CSV text: extract the CSV file from it)",
        ),
        (
            b"\x1f\x8b\x08\x00",
            "is a gzip-compressed file (bytes 1F 8B), not CSV text (expected CSV text: decompress "
            "it first, e.g. with gunzip)",
        ),
        (b"%PDF-1.4\n", "is a PDF document, not CSV text (expected CSV text: export the table as CSV, not as PDF)"),
    ],
    ids=["bzip2", "xz", "zstd", "7z", "gzip", "pdf"],
)
def test_a_compressed_file_an_archive_or_a_pdf_is_named_by_its_magic_bytes(tiny_copy, head, expected):
    (tiny_copy / "contacts.csv").write_bytes(head + bytes(range(256)))
    assert problems(tiny_copy) == [f"contacts.csv:1: (file): {expected}"]


def test_a_real_gzip_file_is_named_as_gzip_not_as_windows_1252_bytes(tiny_copy):
    (tiny_copy / "trade.csv").write_bytes(gzip.compress((TINY / "trade.csv").read_bytes()))
    assert problems(tiny_copy) == [
        "trade.csv:1: (file): is a gzip-compressed file (bytes 1F 8B), not CSV text (expected CSV text: decompress "
        "it first, e.g. with gunzip)"
    ]


def test_a_header_that_starts_like_bzip2_is_still_text(tiny_copy):
    """Only the full bzip2 signature counts: text that happens to start with 'BZh' is read as text."""
    edit(tiny_copy / "tools.csv", "tool_id,", "BZh9,")
    assert problems(tiny_copy)[0].startswith("tools.csv:1: BZh9: unknown column")


# ------------------------------------------------------------------------------------ bidirectional controls
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


@pytest.mark.parametrize("char", BIDI, ids=[f"U+{ord(c):04X}" for c in BIDI])
def test_a_bidirectional_control_anywhere_is_refused_with_its_name_line_and_field(tiny_copy, char):
    edit(tiny_copy / "countries.csv", "MYS,Malaysia,", f"MYS,Mala{char}ysia,")
    assert problems(tiny_copy) == [
        f"countries.csv:6: name: bidirectional control character U+{ord(char):04X} ({unicodedata.name(char)}), "
        "which is invisible and changes the order in which the text around it is displayed, so one key or name "
        "can display as another (expected text without direction controls)"
    ]


def test_a_bidirectional_control_in_a_key_that_would_display_as_another_key_is_refused(tiny_copy):
    # 'A\u202e2A' displays as 'AA2': a row that looks like another's
    edit(tiny_copy / "activities.csv", "\nA2,", "\nA\u202e2A,")
    assert problems(tiny_copy) == [
        "activities.csv:3: activity_id: bidirectional control character U+202E (RIGHT-TO-LEFT OVERRIDE), which is "
        "invisible and changes the order in which the text around it is displayed, so one key or name can "
        "display as another (expected text without direction controls)"
    ]


# ----------------------------------------------------------------------------- one grammar for numbers and dates
@pytest.mark.parametrize(
    "file, old, new, expected",
    [
        (
            "trade.csv",
            "SGP,THA,2008,200,COW",
            "SGP,THA,\uff12\uff10\uff10\uff18,200,COW",
            "trade.csv:11: year: '２００８' is not a whole number from 1980 to 2100 (written with the non-ASCII digit '２' "
            "(U+FF12); expected the digits 0-9)",
        ),
        (
            "trade.csv",
            "SGP,THA,2008,200,COW",
            "SGP,THA,2008,\uff11\uff10\uff10,COW",
            "trade.csv:11: value_usd_mn: '１００' is not a number >= 0 (written with the non-ASCII digit '１' (U+FF11); "
            "expected the digits 0-9)",
        ),
        (
            "trade.csv",
            "SGP,THA,2008,200,COW",
            "SGP,THA,2008,\u0663,COW",
            "trade.csv:11: value_usd_mn: '٣' is not a number >= 0 (written with the non-ASCII digit '٣' (U+0663); "
            "expected the digits 0-9)",
        ),
        (
            "trade.csv",
            "SGP,THA,2008,200,COW",
            "SGP,THA,2_008,200,COW",
            "trade.csv:11: year: '2_008' is not a whole number from 1980 to 2100 ('_' groups digits in Python, not in "
            "data; expected digits without separators)",
        ),
        (
            "trade.csv",
            "SGP,THA,2008,200,COW",
            "SGP,THA,2008,1_000,COW",
            "trade.csv:11: value_usd_mn: '1_000' is not a number >= 0 ('_' groups digits in Python, not in data; "
            "expected digits without separators)",
        ),
        (
            "trade.csv",
            "SGP,THA,2008,200,COW",
            "SGP,THA,2008,nan,COW",
            "trade.csv:11: value_usd_mn: 'nan' is not a finite number (expected a number >= 0)",
        ),
        (
            "trade.csv",
            "SGP,THA,2008,200,COW",
            "SGP,THA,2008,-Infinity,COW",
            "trade.csv:11: value_usd_mn: '-Infinity' is not a finite number (expected a number >= 0)",
        ),
        (
            "trade.csv",
            "SGP,THA,2008,200,COW",
            "SGP,THA,2008,1e999,COW",
            "trade.csv:11: value_usd_mn: '1e999' is not a finite number (expected a number >= 0)",
        ),
        (
            "meetings.csv",
            "2009-12-11,2009",
            "2009-W50-5,2009",
            "meetings.csv:2: date: '2009-W50-5' is not a valid date (expected YYYY-MM-DD)",
        ),
        (
            "meetings.csv",
            "2009-12-11,2009",
            "20091211,2009",
            "meetings.csv:2: date: '20091211' is not a valid date (expected YYYY-MM-DD)",
        ),
        (
            "meetings.csv",
            "2009-12-11,2009",
            "２００９-12-11,2009",
            "meetings.csv:2: date: '２００９-12-11' is not a valid date (expected YYYY-MM-DD)",
        ),
    ],
    ids=[
        "fullwidth-year",
        "fullwidth-value",
        "arabic-indic-value",
        "underscore-year",
        "underscore-value",
        "nan",
        "infinity",
        "overflow",
        "iso-week-date",
        "basic-date",
        "fullwidth-date",
    ],
)
def test_numbers_and_dates_follow_the_one_ascii_grammar(tiny_copy, file, old, new, expected):
    edit(tiny_copy / file, old, new)
    assert problems(tiny_copy) == [expected]


@pytest.mark.parametrize(
    "text, int_value, float_value",
    [
        ("2008", 2008, 2008.0),
        ("+2008", 2008, 2008.0),
        ("-0", 0, -0.0),
        ("007", 7, 7.0),
        ("1.", None, 1.0),
        (".5", None, 0.5),
        ("1e3", None, 1000.0),
        ("-1.5E-2", None, -0.015),
        ("1e999", None, float("inf")),
        ("２００８", None, None),
        ("٣", None, None),
        ("1_000", None, None),
        ("inf", None, None),
        ("nan", None, None),
        (" 1", None, None),
        ("1 ", None, None),
        ("1\n", None, None),
        ("", None, None),
        (".", None, None),
        ("1e", None, None),
        ("e5", None, None),
        ("0x10", None, None),
        ("1.2.3", None, None),
        ("+-1", None, None),
    ],
)
def test_the_grammar_reads_only_ascii_decimal_numbers(text, int_value, float_value):
    from graph_loader import grammar

    assert grammar.parse_int(text) == int_value and grammar.is_int(text) is (int_value is not None)
    assert grammar.parse_float(text) == float_value and grammar.is_float(text) is (float_value is not None)


@pytest.mark.parametrize(
    "text, value",
    [
        ("2008-02-29", date(2008, 2, 29)),
        ("2009-02-29", None),
        ("2009-W50-5", None),
        ("20091211", None),
        ("2009-12-1", None),
        ("2009-12-11T00:00", None),
        ("2009-12-11\n", None),
        ("２００９-12-11", None),
        ("2009-1２-11", None),
        ("0000-01-01", None),
    ],
)
def test_the_grammar_reads_only_calendar_dates_written_yyyy_mm_dd(text, value):
    from graph_loader import grammar

    assert grammar.parse_date(text) == value


# -------------------------------------------------------------------------------------- TARGETS ends at recipients
def test_an_activity_targeting_a_nation_of_concern_is_refused(tiny_copy):
    edit(tiny_copy / "activities.csv", "A5,Legal assistance Thailand,USA,THA,", "A5,Legal assistance Thailand,USA,PRK,")
    assert problems(tiny_copy) == [
        "activities.csv:6: targets: 'PRK' is not a recipient country (expected recipient=true in countries.csv: "
        "an activity reaches recipients, not partners or nations of concern)"
    ]


def test_an_activity_targeting_a_partner_among_recipients_is_refused_for_that_country_only(tiny_copy):
    edit(
        tiny_copy / "activities.csv",
        "A1,Industry seminar Thailand,JPN,THA,",
        "A1,Industry seminar Thailand,JPN,USA;THA,",
    )
    assert problems(tiny_copy) == [
        "activities.csv:2: targets: 'USA' is not a recipient country (expected recipient=true in countries.csv: "
        "an activity reaches recipients, not partners or nations of concern)"
    ]


def test_the_recipient_rule_binds_targets_only_not_the_other_relationships_into_countries(tiny_copy):
    """Partners and nations of concern still attend meetings, host them and trade; a partner still conducts."""
    path = tiny_copy / "meeting_participants.csv"
    path.write_text(
        path.read_text(encoding="utf-8") + "M1,JPN,attended,,,fixture\nM1,PRK,invited_absent,,,fixture\n",
        encoding="utf-8",
    )
    g, _ = load(tiny_copy, risk_year=2008)
    assert {u for u, _, d in g.in_edges("Meeting:M1", data=True) if d["type"] == "ATTENDED"} >= {
        "Country:JPN",
        "Country:PRK",
    }
    edit(tiny_copy / "activities.csv", "A1,Industry seminar Thailand,JPN,", "A1,Industry seminar Thailand,THA,")
    assert problems(tiny_copy) == [
        "activities.csv:2: partner: 'THA' is not a partner country (expected partner=true in countries.csv)"
    ]


def test_the_schema_states_the_recipient_rule_as_data():
    from graph_loader.schema import load_schema

    rels = load_schema().rels
    assert rels["TARGETS"].to_where == {"recipient": True}
    assert [r for r, spec in rels.items() if spec.to_where] == ["TARGETS"]
