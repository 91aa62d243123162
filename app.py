"""Outreach Graph — the analyst app. The router: the overview (ui/overview.py) and every page in app_pages/, each
titled for what it shows (Streamlit would otherwise call the first page "app").

Run: tools/run-app   (or: streamlit run app.py). Shared state, the analysis context and helpers are in ui/.
"""

from __future__ import annotations

import re
from pathlib import Path

import streamlit as st

from ui import overview

# not "pages/": with that folder Streamlit starts in its older multipage mode whenever the first visit to a server
# opens a page by its URL (a shared link), and the sidebar then calls this router "app"
PAGES = Path(__file__).resolve().parent / "app_pages"


def page_title(path: Path) -> str:
    """'4_Country_dossier.py' → 'Country dossier' (the leading number only orders the sidebar)."""
    return re.sub(r"^\d+_", "", path.stem).replace("_", " ")


pages = [st.Page(overview.show, title="Overview", default=True)]  # at "/" (a default page has no path of its own)
pages += [
    st.Page(str(p), title=page_title(p), url_path=re.sub(r"^\d+_", "", p.stem)) for p in sorted(PAGES.glob("*.py"))
]
st.navigation(pages).run()
