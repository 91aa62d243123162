"""Outreach Graph — the analyst app. Entry page: the overview; the other pages are in pages/ (Streamlit's
multipage layout: the sidebar lists app, Network, Coverage, Risk, Country dossier, Queries, Briefing).

Run: tools/run-app   (or: streamlit run app.py). Shared state and helpers are in ui/.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ui import overview  # noqa: E402

overview.show()
