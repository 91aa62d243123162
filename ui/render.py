"""Small rendering helpers shared by the pages: tables with CSV download, markdown-safe text, views."""

from __future__ import annotations

import json
import re

import pandas as pd
import streamlit as st
import streamlit.components.v1 as components

from graph_loader.tables import to_csv

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$])")
_WORD_JOINER = "\u2060"  # invisible, zero-width
_AUTOLINK = re.compile(r"(?i)(?<=www)(?=\.)|(?<=:)(?=//)|(?=@)")


def md(text) -> str:
    """Data text made inert for st.markdown/st.header: markdown and HTML characters backslash-escaped, and
    no autolink — Streamlit's markdown (GFM) turns a bare http://…, www.… or name@host into a link even
    when it is escaped, so an invisible word joiner goes before "//", after "www" and before "@"."""
    text = _AUTOLINK.sub(_WORD_JOINER, "" if text is None else str(text))
    return _MD_SPECIAL.sub(r"\\\1", text)


def display_value(v):
    """A cell for st.dataframe: lists joined, dicts and lists of dicts as compact JSON, scalars unchanged."""
    if isinstance(v, list):
        if v and isinstance(v[0], (dict, list)):
            return json.dumps(v, ensure_ascii=False, default=str)
        return ", ".join("" if x is None else str(x) for x in v)
    if isinstance(v, dict):
        return json.dumps(v, ensure_ascii=False, default=str)
    return v


def frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame([[display_value(r.get(c)) for c in columns] for r in rows], columns=columns)


def table(
    rows: list[dict],
    columns: list[str],
    key: str,
    file_name: str | None = None,
    empty: str = "No rows.",
    height: int | str = "auto",
    column_config: dict | None = None,
) -> None:
    """Rows as a table (text only, never HTML) with a spreadsheet-safe CSV download below it."""
    if not rows:
        st.caption(empty)
    else:
        st.dataframe(frame(rows, columns), hide_index=True, height=height, column_config=column_config, key=f"df_{key}")
    download(rows, columns, key, file_name=file_name)


def download(
    rows: list[dict], columns: list[str], key: str, label: str = "Download CSV", file_name: str | None = None
) -> None:
    st.download_button(
        label,
        to_csv(rows, columns),
        file_name=file_name or f"{key}.csv",
        mime="text/csv",
        key=f"csv_{key}",
        disabled=not rows,
    )


def view(html: str, height: int = 700) -> None:
    """A self-contained page (vis-network view or briefing) in an iframe of fixed height.

    st.iframe where this Streamlit has it (1.67 deprecates st.components.v1.html), else components.html.
    """
    if hasattr(st, "iframe"):
        st.iframe(html, height=height)
    else:
        components.html(html, height=height, scrolling=True)


def setup(title: str) -> None:
    """Page config: the browser title is the page's name."""
    st.set_page_config(page_title=title, layout="wide")
