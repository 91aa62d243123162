"""Validation: every kind of problem in data/ is reported as `file:line: field: ...`, all at once, and no graph is built.

Each test copies the tiny fixture (tests/fixtures/tiny), breaks exactly one thing and pins the exact message.
Line numbers are physical lines of the file (line 1 is the header).
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from conftest import TINY
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
    edit(tiny_copy / "activities.csv", "held,2008,3,,,1,,fixture\nA2,", "held,abc,3,,,1,,fixture\nA2,")
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
        "(expected an ISO 3166-1 alpha-3 code listed in countries.csv)"]


def test_an_unknown_country_code_in_countries_is_rejected_by_the_iso_check(tiny_copy):
    edit(tiny_copy / "countries.csv", "THA,Thailand,true,false,false,10,1,2,fixture\n",
         "THA,Thailand,true,false,false,10,1,2,fixture\nXXX,Nowhere,false,false,false,,,,fixture\n")
    assert problems(tiny_copy) == [
        "countries.csv:10: iso3: unknown country code 'XXX' (expected an ISO 3166-1 alpha-3 code)"]


def test_a_duplicate_country_code_is_reported_with_the_line_of_the_first(tiny_copy):
    edit(tiny_copy / "countries.csv", "USA,United States,false,false,true,,,,fixture\n",
         "USA,United States,false,false,true,,,,fixture\nTHA,Thailand again,true,false,false,10,1,2,fixture\n")
    assert problems(tiny_copy) == ["countries.csv:11: iso3: duplicate key 'THA' (first on line 9)"]


def test_a_duplicate_relationship_row_is_reported_with_the_line_of_the_first(tiny_copy):
    edit(tiny_copy / "trade.csv", "THA,PRK,2009,10,IMF_DOTS,false,fixture\n",
         "THA,PRK,2009,10,IMF_DOTS,false,fixture\nTHA,CHN,2008,7,COW,false,fixture\n")
    assert problems(tiny_copy) == [
        "trade.csv:13: exporter+importer+year+dataset: duplicate row for THA/CHN/2008/COW (first on line 4)"]


def test_an_activity_using_a_tool_that_does_not_exist_is_a_missing_reference(tiny_copy):
    edit(tiny_copy / "activities.csv", "JPN,THA,industry_seminar,JPN-IOS,,held,2008,3,",
         "JPN,THA,teleportation,JPN-IOS,,held,2008,3,")
    assert problems(tiny_copy) == [
        "activities.csv:2: tool: 'teleportation' refers to a missing Tool (not in tools.csv)"]


def test_a_valid_iso_code_that_is_not_in_countries_is_a_missing_reference(tiny_copy):
    edit(tiny_copy / "trade.csv", "SGP,THA,2008,200,COW", "SGP,FRA,2008,200,COW")
    assert problems(tiny_copy) == [
        "trade.csv:11: importer: 'FRA' refers to a missing Country (not in countries.csv)"]


def test_a_list_column_reports_the_one_missing_target(tiny_copy):
    edit(tiny_copy / "activities.csv", "A1,Industry seminar Thailand,JPN,THA,", "A1,Industry seminar Thailand,JPN,THA;FRA,")
    assert problems(tiny_copy) == [
        "activities.csv:2: targets: 'FRA' refers to a missing Country (not in countries.csv)"]


# -------------------------------------------------------------------------------------- types and ranges
def test_a_year_that_is_not_a_number_is_a_wrong_type(tiny_copy):
    edit(tiny_copy / "activities.csv", "JPN-IOS,,held,2008,3,,,1,,fixture\nA2,", "JPN-IOS,,held,abc,3,,,1,,fixture\nA2,")
    assert problems(tiny_copy) == ["activities.csv:2: year: 'abc' is not a whole number from 1980 to 2100"]


def test_a_category_of_five_is_out_of_range(tiny_copy):
    edit(tiny_copy / "assessments.csv", "A-MYS,MYS,2008-06-20,JPN,2,", "A-MYS,MYS,2008-06-20,JPN,5,")
    assert problems(tiny_copy) == ["assessments.csv:3: category: 5 is out of range (expected a whole number from 1 to 4)"]


def test_month_thirteen_is_out_of_range(tiny_copy):
    edit(tiny_copy / "activities.csv", "JPN-IOS,,held,2008,3,,,1,,fixture\nA2,", "JPN-IOS,,held,2008,13,,,1,,fixture\nA2,")
    assert problems(tiny_copy) == ["activities.csv:2: month: 13 is out of range (expected a whole number from 1 to 12)"]


def test_a_flag_that_is_not_true_or_false_is_a_wrong_type(tiny_copy):
    edit(tiny_copy / "countries.csv", "AUS,Australia,false,false,true,", "AUS,Australia,false,false,maybe,")
    # only the flag: AUS is not also called "not a partner" by the activities and roles it delivers
    assert problems(tiny_copy) == ["countries.csv:2: partner: 'maybe' is not true or false (expected true/false, yes/no or 1/0)"]


def test_an_element_outside_its_enum_is_reported_with_the_allowed_values(tiny_copy):
    edit(tiny_copy / "assessments.csv", "A-SGP,SGP,2008-06-20,JPN,4,yes,yes,yes,no,",
         "A-SGP,SGP,2008-06-20,JPN,4,yes,yes,yes,perhaps,")
    assert problems(tiny_copy) == [
        "assessments.csv:4: industry_cooperation: 'perhaps' is not allowed (expected one of yes, no, unknown)"]


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
        "throughout: was the file, or a paste into it, saved as Windows-1252/Latin-1?)"]


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
        "UTF-8 text throughout: was the file, or a paste into it, saved as Windows-1252/Latin-1?)"]


# ------------------------------------------------------------------------------------------ domain rules
def test_a_category_that_disagrees_with_its_four_elements_names_the_derived_category(tiny_copy):
    edit(tiny_copy / "assessments.csv", "A-THA,THA,2008-06-20,JPN,1,no,", "A-THA,THA,2008-06-20,JPN,2,no,")
    assert problems(tiny_copy) == [
        "assessments.csv:2: category: 2 disagrees with the elements "
        "(intention=no/laws=unknown/enforcement=unknown/industry_cooperation=unknown), which give category 1"]


def test_a_category_after_an_unknown_element_cannot_be_derived(tiny_copy):
    edit(tiny_copy / "assessments.csv", "A-MYS,MYS,2008-06-20,JPN,2,yes,no,", "A-MYS,MYS,2008-06-20,JPN,2,unknown,no,")
    assert problems(tiny_copy) == [
        "assessments.csv:3: category: cannot follow from the elements "
        "(intention=unknown/laws=no/enforcement=unknown/industry_cooperation=unknown): an element before the "
        "first 'no' is unknown (expected yes/no up to the first unmet element)"]


def test_a_tool_assigned_to_a_country_that_is_not_a_partner_is_rejected(tiny_copy):
    edit(tiny_copy / "role_sharing.csv", "USA,1,bilateral_discussion,", "THA,1,bilateral_discussion,")
    assert problems(tiny_copy) == [
        "role_sharing.csv:2: partner: 'THA' is not a partner country (expected partner=true in countries.csv)"]


def test_a_partner_assigned_a_tool_that_does_not_exist_is_a_missing_reference(tiny_copy):
    edit(tiny_copy / "role_sharing.csv", "USA,1,bilateral_discussion,", "USA,1,teleportation,")
    assert problems(tiny_copy) == [
        "role_sharing.csv:2: tool: 'teleportation' refers to a missing Tool (not in tools.csv)"]


def test_a_role_for_category_five_is_out_of_range(tiny_copy):
    edit(tiny_copy / "role_sharing.csv", "USA,1,bilateral_discussion,", "USA,5,bilateral_discussion,")
    assert problems(tiny_copy) == [
        "role_sharing.csv:2: category: 5 is out of range (expected a whole number from 1 to 4)"]


def test_a_country_trading_with_itself_is_a_self_tie(tiny_copy):
    edit(tiny_copy / "trade.csv", "SGP,THA,2008,200,COW", "SGP,SGP,2008,200,COW")
    assert problems(tiny_copy) == [
        "trade.csv:11: importer: 'SGP' is the same country as exporter (expected two different countries)"]


def test_a_self_tie_in_a_pair_file_names_the_first_column(tiny_copy):
    edit(tiny_copy / "distances.csv", "MYS,THA,1200,", "THA,THA,1200,")
    assert problems(tiny_copy) == [
        "distances.csv:5: iso3_b: 'THA' is the same country as iso3_a (expected two different countries)"]


def test_an_activity_date_outside_its_year_is_reported(tiny_copy):
    edit(tiny_copy / "activities.csv", ",2008-09-15,", ",2009-09-15,")
    assert problems(tiny_copy) == ["activities.csv:8: date: 2009-09-15 is not in year 2008 (expected the same year)"]


def test_an_activity_date_outside_its_month_is_reported(tiny_copy):
    edit(tiny_copy / "activities.csv", ",2008-09-15,", ",2008-10-15,")
    assert problems(tiny_copy) == ["activities.csv:8: date: 2008-10-15 is not in month 9 (expected the same month)"]


def test_a_period_that_ends_before_it_starts_is_reported(tiny_copy):
    edit(tiny_copy / "rivalries.csv", ",1950,1960,", ",1950,1940,")
    assert problems(tiny_copy) == [
        "rivalries.csv:2: end_year: 1940 is before start_year 1950 (expected a later or equal year)"]


def test_a_contact_with_neither_country_nor_organisation_is_reported(tiny_copy):
    edit(tiny_copy / "contacts.csv", "C2,Thai POC,Director,MFA,THA,", "C2,Thai POC,Director,MFA,,")
    assert problems(tiny_copy) == [
        "contacts.csv:3: country: missing value (expected a country or an organisation)"]


# --------------------------------------------------------------------------------------- all at once
def test_problems_in_two_files_are_reported_together_in_file_order(tiny_copy):
    edit(tiny_copy / "trade.csv", "SGP,THA,2008,200,COW", "XXX,THA,2008,200,COW")
    edit(tiny_copy / "activities.csv", "JPN-IOS,,held,2008,3,,,1,,fixture\nA2,", "JPN-IOS,,held,abc,3,,,1,,fixture\nA2,")
    assert problems(tiny_copy) == [
        "activities.csv:2: year: 'abc' is not a whole number from 1980 to 2100",
        "trade.csv:11: exporter: unknown country code 'XXX' "
        "(expected an ISO 3166-1 alpha-3 code listed in countries.csv)"]


def test_several_problems_in_one_file_are_all_reported(tiny_copy):
    edit(tiny_copy / "activities.csv", "JPN-IOS,,held,2008,3,,,1,,fixture\nA2,", "JPN-IOS,,held,abc,13,,,1,,fixture\nA2,")
    edit(tiny_copy / "activities.csv", ",2008-09-15,", ",2008-02-30,")
    assert problems(tiny_copy) == [
        "activities.csv:2: month: 13 is out of range (expected a whole number from 1 to 12)",
        "activities.csv:2: year: 'abc' is not a whole number from 1980 to 2100",
        "activities.csv:8: date: '2008-02-30' is not a valid date (expected YYYY-MM-DD)"]


def test_the_error_summary_counts_and_lists_every_problem(tiny_copy):
    edit(tiny_copy / "trade.csv", "SGP,THA,2008,200,COW", "SGP,SGP,2008,200,COW")
    edit(tiny_copy / "countries.csv", "THA,Thailand,", "THA,,")
    with pytest.raises(DataError) as raised:
        load(tiny_copy)
    assert raised.value.summary() == (
        "2 problems in data:\n"
        "countries.csv:9: name: missing value (expected text)\n"
        "trade.csv:11: importer: 'SGP' is the same country as exporter (expected two different countries)")


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
        "(expected UTF-8 without one; python -m graph_loader tidy removes it)"]
    assert [str(t) for t in tidy(tiny_copy)] == ["countries.csv: removed a byte-order mark"]
    assert problems(tiny_copy) == ["countries.csv:9: name: missing value (expected text)"]


def _with_a_multiline_note(path: Path) -> None:
    edit(path, "A1,Industry seminar Thailand,JPN,THA,industry_seminar,JPN-IOS,,held,2008,3,,,1,,fixture\n",
         "A1,Industry seminar Thailand,JPN,THA,industry_seminar,JPN-IOS,,held,2008,3,,,1,"
         '"first line of the note\nsecond line, with a comma\n\nfourth line after a blank one",fixture\n')  # lines 2-5
    # A2 is now on line 6, A3 on line 7


def test_a_multiline_note_with_a_blank_line_inside_its_quotes_is_kept_whole(tiny_copy, tiny_dir):
    _with_a_multiline_note(tiny_copy / "activities.csv")
    g, ds = load(tiny_copy, risk_year=2008)
    n = records(tiny_dir / "activities.csv")
    assert len(ds.tables["activities.csv"]) == n
    assert ds.tables["activities.csv"].lines == [2] + list(range(6, 6 + n - 1))  # lines 3-5 are the note
    assert g.nodes["Activity:A1"]["note"] == (
        "first line of the note\nsecond line, with a comma\n\nfourth line after a blank one")


def test_line_numbers_after_a_multiline_note_are_physical_lines(tiny_copy):
    _with_a_multiline_note(tiny_copy / "activities.csv")
    edit(tiny_copy / "activities.csv", "A3,Officer training Malaysia (AU),AUS,MYS,officer_training,,,planned,2008,",
         "A3,Officer training Malaysia (AU),AUS,MYS,officer_training,,,planned,abc,")
    assert problems(tiny_copy) == ["activities.csv:7: year: 'abc' is not a whole number from 1980 to 2100"]


def test_blank_lines_outside_quotes_are_refused_on_their_lines_and_tidy_removes_them(tiny_copy):
    from graph_loader.tidy import tidy
    _with_a_multiline_note(tiny_copy / "activities.csv")
    edit(tiny_copy / "activities.csv", "fourth line after a blank one\",fixture\n",
         "fourth line after a blank one\",fixture\n\n   \n")  # lines 6 and 7
    assert problems(tiny_copy) == [
        "activities.csv:6: (row): blank line (expected a record; python -m graph_loader tidy removes blank lines)",
        "activities.csv:7: (row): blank line (expected a record; python -m graph_loader tidy removes blank lines)"]
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
    text = path.read_text(encoding="utf-8").replace("A1,Industry seminar Thailand,JPN,THA,", "A1,Industry seminar Thailand,JPN,THA;MYS;THA,")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as e:
        load(tiny_copy)
    assert [str(p) for p in e.value.problems] == [
        "activities.csv:2: targets: THA listed more than once (expected each target country once)"]


def test_loading_pauses_the_garbage_collector_and_leaves_it_as_it_was_even_when_the_data_are_refused(tiny_copy):
    """validate, build_graph and write_scores run with the collector paused (gcpause): on after a load, on after
    a refused load, and still off when the caller had switched it off."""
    import gc

    from graph_loader import gcpause
    seen = []
    original = gcpause.gc.disable

    def disable():
        seen.append("paused")
        original()
    gcpause.gc.disable = disable
    try:
        assert gc.isenabled()
        load(tiny_copy, risk_year=2008)
        assert gc.isenabled() and seen == ["paused"] * 3  # validate, build_graph, write_scores
        edit(tiny_copy / "countries.csv", "THA,", "TH@,")
        problems(tiny_copy)
        assert gc.isenabled()
        gc.disable()
        try:
            load(TINY, risk_year=2008)
            assert not gc.isenabled()  # the caller's choice is kept
        finally:
            gc.enable()
    finally:
        gcpause.gc.disable = original


def test_problems_are_listed_in_the_same_order_whichever_file_is_read_last(tiny_copy, monkeypatch):
    """The largest file is parsed from the start and checked last; its problems still take their place."""
    from graph_loader import validate as validation
    edit(tiny_copy / "activities.csv", "A2,Officer training Malaysia (US),USA,MYS,",
         "A1,Officer training Malaysia (US),USA,XXA,")                               # duplicate key, unknown target
    edit(tiny_copy / "trade.csv", "SGP,THA,2008,200,COW", "SGP,SGP,2008,200,COW")     # a rule (self-tie)
    edit(tiny_copy / "countries.csv", "CHN,China,true,true,false,20,", "CHN,China,maybe,true,false,20,")  # read
    edit(tiny_copy / "assessments.csv", "A-THA,THA,", "A-THA,ZZZ,")                   # a reference
    orders = {}
    for last in ("trade.csv", "activities.csv", "countries.csv", "assessments.csv", "role_sharing.csv"):
        monkeypatch.setattr(validation, "_largest", lambda root, files, last=last: last)
        orders[last] = problems(tiny_copy)
    first = orders["trade.csv"]
    assert len(first) == 5 and all(found == first for found in orders.values())
    assert [p.split(":")[0] for p in first] == ["activities.csv", "activities.csv", "assessments.csv",
                                                "countries.csv", "trade.csv"]
