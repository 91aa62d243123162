"""The analysis context every page shares: year window, tier source, risk model, confidence threshold, backend.

One sidebar, drawn by every page (`sidebar()`), sets it; it lives in st.session_state for the session and in the
URL's query parameters, so a link reproduces the analyst's view and a reload keeps it. "Reset" returns to the
defaults. Pages read it as a `Context` and pass its values to the queries (tier_source, the window) and to the
pure functions (the year, the model).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import streamlit as st

from . import state

TIER_SOURCES = {"assessment": "Analysts' assessment (else the model)", "model": "Model"}
# query parameter -> Context field
URL = {
    "from": "year_from",
    "to": "year_to",
    "tiers": "tier_source",
    "model": "model",
    "confidence": "min_confidence",
    "backend": "backend",
}


@dataclass(frozen=True)
class Context:
    """year_from–year_to: the window every page uses (the default holds the 2008 programme and the 2009
    meeting); tier_source: 'assessment' (the analysts' tier where an assessment is in force, else the model's)
    or 'model'; model: a preset of graph_loader/risk_weights.yaml; min_confidence: below it a delivered cell
    is marked unconfirmed; backend: embedded or neo4j."""

    year_from: int = 2008
    year_to: int = 2009
    tier_source: str = "assessment"
    model: str = "hand-set"
    min_confidence: float = 0.0
    backend: str = "embedded"

    def params(self) -> dict[str, str]:
        """The context as query parameters (only what differs from the defaults)."""
        base = asdict(Context())
        return {k: str(getattr(self, f)) for k, f in URL.items() if getattr(self, f) != base[f]}

    def describe(self) -> str:
        """One line for captions and briefings."""
        tiers = (
            "analysts' tiers where assessed, else the model's"
            if self.tier_source == "assessment"
            else "the model's tiers"
        )
        return (
            f"{self.year_from}–{self.year_to} · {tiers} · risk model {self.model}"
            + (f" · confidence ≥ {self.min_confidence:g}" if self.min_confidence else "")
            + f" · {self.backend} backend"
        )


def from_params(params: dict, presets: list[str], years: tuple[int, int]) -> tuple[Context, list[str]]:
    """A context from query parameters; a value that does not fit is left at its default and named."""
    ctx, problems = Context(), []
    for key, name in URL.items():
        if key not in params:
            continue
        raw = str(params[key])
        try:
            value = _value(name, raw, presets, years)
        except ValueError:
            problems.append(f"{key}={raw!r}")
            continue
        ctx = replace(ctx, **{name: value})
    if ctx.year_from > ctx.year_to:
        problems.append(f"from={ctx.year_from} after to={ctx.year_to}")
        ctx = replace(ctx, year_from=Context.year_from, year_to=Context.year_to)
    return ctx, problems


def _value(name: str, raw: str, presets: list[str], years: tuple[int, int]):
    if name in ("year_from", "year_to"):
        if not raw.isascii() or not raw.isdigit() or not years[0] <= int(raw) <= years[1]:
            raise ValueError
        return int(raw)
    if name == "min_confidence":
        value = float(raw) if raw.replace(".", "", 1).isascii() and raw.replace(".", "", 1).isdigit() else -1
        if not 0 <= value <= 1:
            raise ValueError
        return value
    allowed = {"tier_source": list(TIER_SOURCES), "model": presets, "backend": ["embedded", "neo4j"]}[name]
    if raw not in allowed:
        raise ValueError
    return raw


def current() -> Context:
    """The session's context (read from the URL on the session's first run)."""
    ss = st.session_state
    if "ctx" not in ss:
        from graph_loader.risk import presets

        ctx, problems = from_params(dict(st.query_params), list(presets()), _years())
        ss["ctx"], ss["ctx_problems"] = ctx, problems
        ss["backend"] = ctx.backend
    return ss["ctx"]


def _years() -> tuple[int, int]:
    lo, hi = state.choices()["years"]
    return int(lo), int(hi)


def _seed(ctx: Context) -> None:
    """Widget values from the context (a page switch drops widget state; the context stays)."""
    ss = st.session_state
    for key, value in (
        ("ctx_years", (ctx.year_from, ctx.year_to)),
        ("ctx_tier_source", ctx.tier_source),
        ("ctx_model_name", ctx.model),
        ("ctx_min_confidence", ctx.min_confidence),
    ):
        if key not in ss:
            ss[key] = value


def _reset() -> None:
    ss = st.session_state
    for key in ("ctx_years", "ctx_tier_source", "ctx_model_name", "ctx_min_confidence"):
        ss.pop(key, None)
    ss["ctx"] = Context()
    ss["backend"] = Context.backend


def sidebar() -> Context:
    """Draw the analysis context in the sidebar and return it (every page calls this first)."""
    from graph_loader.risk import presets

    ctx = current()
    _seed(ctx)
    found = presets()
    sb = st.sidebar
    sb.header("Analysis context")
    for problem in st.session_state.pop("ctx_problems", []):
        sb.warning(f"Ignored a link parameter that does not fit: {problem}")
    y0, y1 = sb.slider(
        "Year window",
        *_years(),
        key="ctx_years",
        help="Every page's window: coverage, network, dossier, briefing; risk is that of its last year.",
    )
    tier_source = sb.radio(
        "Risk tiers from",
        list(TIER_SOURCES),
        key="ctx_tier_source",
        format_func=TIER_SOURCES.get,
        help="'Analysts' assessment' uses the tier of the assessment in force in the window's "
        "last year where there is one (Annex I from 2008), else the model's.",
    )
    model = sb.selectbox(
        "Risk model",
        list(found),
        key="ctx_model_name",
        help=" · ".join(f"{name}: {m.why}" for name, m in found.items()),
    )
    confidence = sb.slider(
        "Confidence threshold",
        0.0,
        1.0,
        step=0.05,
        key="ctx_min_confidence",
        help="A delivered cell resting only on readings below it is marked unconfirmed.",
    )
    sb.button("Reset to defaults", key="ctx_reset", on_click=_reset)
    backend = state.backend_sidebar()
    ctx = Context(int(y0), int(y1), tier_source, model, float(confidence), backend)
    st.session_state["ctx"] = ctx
    st.query_params.from_dict(ctx.params())
    return ctx
