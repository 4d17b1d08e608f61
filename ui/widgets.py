"""Widgets every page shares: the store panel in the sidebar, showing varlib errors, and text shown as text."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import TypeVar

import pandas as pd
import streamlit as st

from ui import session
from varlib import InvalidInput, VarlibError, VersionSummary
from varlib.analysis import Progress
from varlib.data import Reading, ReadOptions, known_units
from varlib.errors import DASHBOARD_INPUTS
from varlib.formats import format_pvalue, format_statistic
from varlib.naming import LATEST
from varlib.plots import plot_forecast_revision

T = TypeVar("T")
_MARKDOWN_ACTIVE = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|:~$=&'\"])")


# GFM turns bare addresses into links after escapes are resolved: a zero-width space keeps them apart.
_AUTOLINK_STARTS = re.compile(r"(?i):(?=//)|www(?=\.)|@")


def plain(text: object) -> str:
    """Text from data or storage, escaped so that Streamlit's markdown shows it as typed: no links (bare addresses
    included), images, emphasis, HTML, icons (`:material/...:`), colours or LaTeX. Any ASCII punctuation mark may
    be escaped with a backslash."""
    unlinked = _AUTOLINK_STARTS.sub(lambda match: match.group(0) + "\u200b", str(text))
    return _MARKDOWN_ACTIVE.sub(r"\\\1", unlinked).replace("\n", " ")


def store_sidebar() -> None:
    """Which store is in use (never a secret), whether it answers, and a refresh of cached listings."""
    with st.sidebar:
        st.subheader("Model store")
        try:
            location = session.registry().store.location
        except VarlibError as exc:
            st.error(plain(exc), icon=":material/error:")
            return
        st.caption(plain(location))
        problem = session.store_problem()
        if problem:
            st.error(f"Store unavailable: {plain(problem)}", icon=":material/cloud_off:")
        else:
            st.success("Store answers", icon=":material/cloud_done:")
        if st.button("Refresh", help="Re-read the store (versions published elsewhere appear within a minute anyway)"):
            st.cache_data.clear()
            session.store_changed()
            st.rerun()


def require_store() -> bool:
    """On pages that need the store: show why it cannot be used, and tell the page to stop."""
    try:
        problem = session.store_problem()
    except VarlibError as exc:
        problem = str(exc)
    if problem:
        st.error(f"This page needs the model store, which is unavailable: {plain(problem)}",
                 icon=":material/cloud_off:")  # fmt: skip
        return False
    return True


def show_error(exc: VarlibError) -> None:
    # Messages quote file names, column names and stored keys: shown as text, never as markup. An input to change
    # is named as this dashboard calls it (a field), not as the CLI does (a flag).
    message = exc.worded(DASHBOARD_INPUTS) if isinstance(exc, InvalidInput) else str(exc)
    st.error(plain(message), icon=":material/error:")


def stored_models_or_stop() -> list[str]:
    """The store's model names; on a page that needs them, stop with the reason when there are none."""
    if not require_store():
        st.stop()
    try:
        models = session.model_names(session.store_url(), session.generation())
    except VarlibError as exc:
        show_error(exc)
        st.stop()
    if not models:
        st.info("No models in the store yet: train one and publish it.")
        st.page_link("pages/train.py", label="Go to Train", icon=":material/model_training:")
        st.stop()
    return models


class VersionChoices:
    """What a version picker offers: `latest` (the highest release not deprecated), each `@alias`, then every
    version newest first, and the version each option stands for (from one listing, no further reads)."""

    def __init__(self, summaries: list[VersionSummary]) -> None:
        self.by_version = {v.version: v for v in summaries}
        usable = [v for v in summaries if not v.is_snapshot and not v.deprecated]
        self.latest = usable[0] if usable else None  # summaries are newest first
        aliases = sorted((a, v) for v in summaries for a in v.aliases)
        self.by_alias = {f"@{a}": v for a, v in aliases}
        self.options = ([LATEST] if self.latest else []) + list(self.by_alias) + list(self.by_version)

    def summary(self, option: str) -> VersionSummary:
        if option == LATEST:
            return self.latest
        return self.by_alias.get(option) or self.by_version[option]

    def label(self, option: str) -> str:
        if option == LATEST or option.startswith("@"):
            return f"{option} (= {self.summary(option).version})"
        v = self.by_version[option]
        marks = "".join(
            [
                f" · {' '.join('@' + a for a in v.aliases)}" if v.aliases else "",
                " · DEPRECATED" if v.deprecated else "",
                "" if v.production else " · evaluation fit only",
            ]
        )
        rmse = ", ".join(f"{k} {r:.4g}" for k, r in v.test_rmse.items())
        return f"{v.version} · {v.created[:10]} · p={v.lag_order} · test RMSE {rmse}{marks}"


def show_lineage(metadata: dict, history: pd.DataFrame | None, label: str, chart_label: str | None = None) -> None:
    """A refreshed version's parent, the data it revised and how the forecast moved (model.json `lineage`).

    `label` names the refreshed version in the text ("1.1.0", "The result"); `chart_label` its forecast's legend
    entry (default: "<label> forecast"). Units come from the metadata's data source, as stored.
    """
    lineage = metadata.get("lineage")
    if not lineage:
        return
    parent = lineage["parent"]
    st.write(
        f"{plain(label)} is a refresh of **{plain(parent['name'])} {plain(parent['version'])}** with "
        f"{lineage['new_rows']} new rows; lag order {plain(lineage['lag_order'])}. Parent manifest sha256 "
        f"`{parent['manifest_sha256'][:16]}…`."
    )
    revisions = lineage["data_revisions"]
    if revisions:
        st.dataframe(pd.DataFrame(revisions).rename(columns={"rows": "rows revised", "at": "largest at"}),
                     hide_index=True, width="stretch")  # fmt: skip
        st.caption("Data revisions: stored rows of the parent that the new data changed (accepted, as is normal "
                   "for macro data).")  # fmt: skip
    else:
        st.caption("No data revisions: the parent's rows were unchanged.")
    table = pd.DataFrame(lineage["forecast_revision"]["rows"])
    if table.empty:
        return
    table["revision"] = table["new"] - table["parent"]
    table["revision %"] = table["revision"] / table["parent"].where(table["parent"] != 0) * 100
    if history is not None:
        units = known_units(metadata.get("data", {}).get("source"), list(history.columns))
        shown = hashlib.sha256(json.dumps(lineage, sort_keys=True, default=str).encode()).hexdigest()
        figure = session.figure(
            ("lineage", shown, label, chart_label),
            lambda: plot_forecast_revision(
                table, history, f"{parent['version']} forecast", chart_label or f"{label} forecast", units=units
            ),
        )
        st.plotly_chart(figure, width="stretch")  # fmt: skip
    wide = table.pivot(index="date", columns="variable", values=["parent", "new", "revision", "revision %"])
    wide = wide.swaplevel(axis=1).reindex(columns=list(dict.fromkeys(table["variable"])), level=0)
    formats = {column: "{:+.2f}%" if column[1] == "revision %" else "{:,.6g}" for column in wide.columns}
    st.dataframe(wide.style.format(formats, na_rep="–"), width="stretch")
    origin = "from the end of its data" if lineage["forecast_revision"]["parent_origin"] == "data" else (
        "from the end of its training rows (it has the evaluation fit only)")  # fmt: skip
    st.caption(f"Forecast revision: the production forecast against {plain(parent['version'])}'s forecast "
               f"{origin}, for the same dates.")  # fmt: skip


def login_gate() -> None:
    """With `[auth]` in secrets, every page needs a login and a role; the sidebar shows who is logged in."""
    if not session.login_configured():
        return
    if not st.user.is_logged_in:
        st.title("varlib: VAR models")
        st.write("Log in to see and use the models in this store.")
        st.button("Log in", type="primary", on_click=st.login)
        st.stop()
    try:
        current = session.actor()
    except VarlibError as exc:  # e.g. a [varlib.roles] that cannot be read: one line, no page
        show_error(exc)
        st.stop()
    with st.sidebar:
        role = f" · {current.role}" if current is not None else ""
        st.caption(f"Logged in as {plain(session.user())}{role}")
        st.button("Log out", on_click=st.logout)
    if current is None:
        st.error(f"{plain(session.user())} has no role in varlib: ask an administrator to add you to the viewers or "
                 "publishers.", icon=":material/lock:")  # fmt: skip
        st.stop()


# ----- data source --------------------------------------------------------------------------------------------

BUILT_IN = "Built-in macrodata (US, quarterly)"
UPLOAD = "Upload a file (CSV or Excel)"
# Options as strings: a selectbox shows None as "Choose an option", not as "detect".
DETECT = "detect"
DATE_ORDER_LABELS = {DETECT: "detect", "day-first": "day first (31/12/2018)", "month-first": "month first (12/31/2018)"}
SEPARATOR_LABELS = {DETECT: "detect", ",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
DECIMAL_LABELS = {DETECT: "detect", ".": "point (1.5)", ",": "comma (1,5)"}
THOUSANDS_LABELS = {DETECT: "detect", ",": "comma (1,234)", ".": "point (1.234)", " ": "space (1 234)",
                    "'": "apostrophe (1'234)"}  # fmt: skip
ENCODING_LABELS = {DETECT: "detect", "utf-8": "UTF-8", "utf-16": "UTF-16", "cp1252": "Windows-1252"}
KEEP_FREQUENCY = "keep"
GAP_LABELS = {"error": "refuse", "carry-forward": "carry forward", "interpolate": "interpolate"}
MISSING_LABELS = {"error": "refuse", "drop": "drop (start or end)", "interpolate": "interpolate"}


def restore_widget(widget: str, remembered: str, default: object) -> None:
    """Give a widget its value from the last visit: Streamlit drops a widget's state when the page changes, so each
    value is also kept under a plain key (`remember`)."""
    if widget not in st.session_state:
        st.session_state[widget] = st.session_state.get(remembered, default)


def remember(widget: str, remembered: str) -> object:
    st.session_state[remembered] = st.session_state[widget]
    return st.session_state[widget]


def _kept(key: str, default: object) -> None:
    restore_widget(key, f"kept_{key}", default)


def _keep(key: str) -> object:
    return remember(key, f"kept_{key}")


def data_source(prefix: str, upload_help: str, missing_note: str) -> tuple[str, bytes | None, ReadOptions]:
    """The data-source panel of the Train and Refresh pages: built-in data or an uploaded CSV or Excel file with
    its reading options. The file and options are kept in the session across page switches (a file uploader
    forgets its file when the page changes). Stops the page until there is a file."""
    from varlib.data import MACRODATA, TARGET_FREQUENCIES

    _kept(f"{prefix}_source", BUILT_IN)
    source = st.radio("Data source", [BUILT_IN, UPLOAD], horizontal=True, key=f"{prefix}_source")
    _keep(f"{prefix}_source")
    if source == BUILT_IN:
        return MACRODATA, None, ReadOptions()

    uploader_key, stored_key, held_key = f"{prefix}_uploader", f"{prefix}_file", f"{prefix}_uploader_held"
    # On a new visit the uploader starts empty while the kept file stays; the file is forgotten only when the
    # analyst removes it from the uploader (it held one on the previous run of this visit and holds none now).
    fresh = uploader_key not in st.session_state
    upload = st.file_uploader(upload_help, type=["csv", "txt", "tsv", "xlsx", "xlsm"], key=uploader_key)
    if upload is not None:
        st.session_state[stored_key] = (upload.name, upload.getvalue())
    elif not fresh and st.session_state.get(held_key):
        st.session_state.pop(stored_key, None)
    st.session_state[held_key] = upload is not None
    stored = st.session_state.get(stored_key)
    if stored is not None and upload is None:
        st.caption(f"Using {plain(stored[0])} ({len(stored[1]):,} bytes), uploaded earlier in this session; upload "
                   "another file to replace it.")  # fmt: skip

    c1, c2, c3, c4 = st.columns(4)
    shown = {"date_column": "", "date_order": DETECT, "missing": "error", "gaps": "error"}
    for key, default in shown.items():
        _kept(f"{prefix}_{key}", default)
    c1.text_input("Date column (empty: detect)", key=f"{prefix}_date_column")
    c2.selectbox("Date order", list(DATE_ORDER_LABELS), format_func=DATE_ORDER_LABELS.get,
                 help="How to read dates such as 01/02/2018", key=f"{prefix}_date_order")  # fmt: skip
    c3.selectbox("Missing values", list(MISSING_LABELS), format_func=MISSING_LABELS.get, help=missing_note,
                 key=f"{prefix}_missing")  # fmt: skip
    c4.selectbox("Calendar gaps", list(GAP_LABELS), format_func=GAP_LABELS.get, key=f"{prefix}_gaps",
                 help="Dates absent from the calendar (business-day holidays, missing weeks)")  # fmt: skip
    defaults = {"delimiter": DETECT, "decimal": DETECT, "thousands": DETECT, "encoding": DETECT, "sheet": "",
                "date_format": "", "aggregate": KEEP_FREQUENCY, "aggregate_by": "mean", "start": "",
                "end": ""}  # fmt: skip
    for key, default in defaults.items():
        _kept(f"{prefix}_{key}", default)
    # Open when one is set, or when the last reading failed: its message may name a field in here.
    opened = any(st.session_state[f"{prefix}_{k}"] != d for k, d in defaults.items()) or bool(
        st.session_state.get(failed_key(prefix)))  # fmt: skip
    with st.expander("More reading options: separator, decimal mark, thousands, encoding, sheet, date format, "
                     "aggregation, date range", expanded=opened):  # fmt: skip
        c1, c2, c3, c4 = st.columns(4)
        c1.selectbox("Separator", list(SEPARATOR_LABELS), format_func=SEPARATOR_LABELS.get, key=f"{prefix}_delimiter")
        c2.selectbox("Decimal mark", list(DECIMAL_LABELS), format_func=DECIMAL_LABELS.get, key=f"{prefix}_decimal")
        c3.selectbox("Thousands separator", list(THOUSANDS_LABELS), format_func=THOUSANDS_LABELS.get,
                     key=f"{prefix}_thousands")  # fmt: skip
        c4.selectbox("Encoding", list(ENCODING_LABELS), format_func=ENCODING_LABELS.get, key=f"{prefix}_encoding")
        c1, c2, c3, c4 = st.columns(4)
        c1.text_input("Sheet (Excel; empty: the first)", key=f"{prefix}_sheet")
        c2.text_input("Date format (empty: detect)", key=f"{prefix}_date_format", help="strftime codes, e.g. %d.%m.%Y")
        c3.text_input("From", key=f"{prefix}_start", help="keep rows from this date: 2018-01-01, 2018Q1 or 2018M01")
        c4.text_input("To", key=f"{prefix}_end", help="keep rows up to this date")
        c1, c2, _ = st.columns(3)
        c1.selectbox("Aggregate to", [KEEP_FREQUENCY, *TARGET_FREQUENCIES], key=f"{prefix}_aggregate",
                     format_func=lambda f: "keep the frequency" if f == KEEP_FREQUENCY else f)  # fmt: skip
        c2.selectbox("Aggregate by", ["mean", "last", "sum"], key=f"{prefix}_aggregate_by",
                     format_func={"mean": "mean", "last": "last value", "sum": "sum"}.get)  # fmt: skip
    kept = {key: _keep(f"{prefix}_{key}") for key in (*shown, *defaults)}
    values = {key: None if value in (DETECT, KEEP_FREQUENCY) else value for key, value in kept.items()}
    text = {key: (str(values[key]).strip() or None) for key in ("date_column", "sheet", "date_format", "start", "end")}
    options = ReadOptions(
        date_column=text["date_column"], date_order=values["date_order"], date_format=text["date_format"],
        delimiter=values["delimiter"], decimal=values["decimal"], thousands=values["thousands"],
        encoding=values["encoding"], sheet=text["sheet"], missing=values["missing"], gaps=values["gaps"],
        aggregate=values["aggregate"], aggregate_by=values["aggregate_by"], start=text["start"], end=text["end"],
    )  # fmt: skip
    if stored is None:
        st.info("Upload a CSV or Excel file to continue, or use the built-in macrodata.")
        st.stop()
    return stored[0], stored[1], options


def failed_key(prefix: str) -> str:
    """Set by a page whose data could not be read, so that the reading options open on the next run."""
    return f"{prefix}_read_failed"


def show_notes(notes: list[str]) -> None:
    """The notes of a reading or a fit in one box: a stack of boxes reads as a stack of warnings."""
    if len(notes) == 1:
        st.info(f"Note: {plain(notes[0])}.", icon=":material/info:")
    elif notes:
        st.info("Notes:\n" + "\n".join(f"- {plain(note)}." for note in notes), icon=":material/info:")


def show_reading(reading: Reading) -> None:
    """What was read and how (the same facts as `python -m varlib inspect`), and the variables."""
    lines = reading.lines(DASHBOARD_INPUTS)
    body = [line for line in lines[1:] if not line.startswith(("Variables", "Note:", "To choose:"))]
    st.caption(" ".join(plain(line) for line in body))
    table = pd.DataFrame(
        {
            "variable": [v.name for v in reading.variables],
            "description": [v.description or "" for v in reading.variables],
            "unit": [v.unit or "" for v in reading.variables],
            "missing values": [v.missing for v in reading.variables],
        }
    )
    if not table["description"].any():
        table = table.drop(columns=["description", "unit"])
    box = st.expander(f"Variables ({len(table)})", key="reading_variables_open", on_change="rerun")
    if box.open:  # a collapsed expander still runs its body: this one only when opened
        with box:
            st.dataframe(table, hide_index=True, width="stretch")


METRIC_NAMES = {"rmse": "RMSE", "mae": "MAE", "mape": "MAPE %", "mape_skipped_zeros": "MAPE zeros skipped",
                "theil_u": "Theil's U"}  # fmt: skip


def number_format(frame: pd.DataFrame, printf: str = "%.6g") -> dict[int, object]:
    """A column_config formatting every column's numbers in the browser: a pandas Styler over a large table costs
    tens of milliseconds on every rerun; this, nothing. Keyed by position, which works for MultiIndex columns; the
    browser counts the shown index among the positions."""
    shown_index = frame.index.nlevels
    return {shown_index + i: st.column_config.NumberColumn(format=printf) for i in range(frame.shape[1])}


VERDICT_COLORS = {"stationary": "color: #2e7d32", "non-stationary": "color: #bf616a; font-weight: bold"}


def stationarity_verdicts(verdicts: pd.DataFrame):
    """The stationarity verdicts per variable and transform, a failing one in red (a small table: a Styler)."""
    return verdicts.style.map(lambda v: VERDICT_COLORS.get(v, ""))


def show_metrics(metrics: pd.DataFrame, caption: str | None = None) -> None:
    """Test metrics per variable. The count of zero actuals MAPE skipped is shown only where there are any (a column
    of zeros in every table said nothing)."""
    table = metrics.rename(columns=METRIC_NAMES)
    skipped = table.pop("MAPE zeros skipped") if "MAPE zeros skipped" in table else None
    # Formatted here and right-aligned: a pandas Styler costs ~10 ms on every rerun; a dash, not "None", where a
    # metric is undefined (Theil's U without a no-change error).
    shown = table.map(lambda v: "–" if pd.isna(v) else f"{v:.4g}")
    st.dataframe(shown, width="stretch",
                 column_config={c: st.column_config.TextColumn(alignment="right") for c in shown.columns})  # fmt: skip
    notes = [caption] if caption else []
    if skipped is not None and skipped.fillna(0).any():
        counts = ", ".join(f"{plain(v)} {int(n)}" for v, n in skipped.items() if n)
        notes.append(f"MAPE leaves out test rows whose actual is zero: {counts}.")
    if notes:
        st.caption(" ".join(notes))


def keep_choice(widget: str, remembered: str, options: list[str]) -> None:
    """Give the picker a stable key, started from the remembered choice: a picker whose default moved with each
    choice would be a new widget on the next run, and the analyst's next pick would be lost. The Forecast, Analyze
    and Compare pages remember one model and version (session.FORECAST_MODEL, session.FORECAST_VERSION)."""
    if st.session_state.get(widget) not in options:
        wanted = st.session_state.get(remembered)
        st.session_state[widget] = wanted if wanted in options else options[0]


FLASH = "flash_message"  # a confirmation to show after st.rerun(), which would clear one shown before it
CANCELLED = "cancelled_message"  # what a Cancel button stopped, said on the run it caused


def flash(message: str) -> None:
    """Confirm a change on the next run: a success shown right before st.rerun() vanishes unseen."""
    st.session_state[FLASH] = message


def show_flash() -> None:
    message = st.session_state.pop(FLASH, None)
    if message:
        st.success(message, icon=":material/check_circle:")


def run_cancellably(request: str, what: str, compute: Callable[[Progress], T]) -> T:
    """Long work with its progress shown from the first step and a Cancel button beside it.

    A click on Cancel sends a widget event, and Streamlit stops a running script at its next element update (the
    next progress step); the button's callback, run before the rerun, forgets `request` so the work does not start
    again, and the page says it was cancelled. Work served from memory shows neither bar nor button.
    """
    slot = st.empty()
    bar: list = []

    def progress(share: float, text: str) -> None:
        if not bar:
            with slot.container():
                bar.append(st.progress(0.0, text))
                st.button("Cancel", key=f"{request}_cancel", on_click=_cancelled, args=(request, what),
                          icon=":material/cancel:")  # fmt: skip
        bar[0].progress(min(max(share, 0.0), 1.0), text)

    result = compute(progress)
    slot.empty()
    return result


def _cancelled(request: str, what: str) -> None:
    st.session_state.pop(request, None)
    st.session_state[CANCELLED] = f"{what} cancelled; nothing was kept. Start it again when you are ready."


def show_cancelled() -> None:
    message = st.session_state.pop(CANCELLED, None)
    if message:
        st.info(message, icon=":material/cancel:")


FIT_LABELS = {"train": "evaluation fit (training rows)", "data": "production fit (all rows)"}
MINIMUM_STYLE = "background-color: #c8e6c9"


def criteria_table(table: pd.DataFrame):
    """The lag-selection criteria with each one's minimum highlighted. Formatted here and styled with a fixed CSS
    frame: half the rerun cost of Styler.highlight_min(...).format(...)."""
    shown = table.map(lambda v: "–" if pd.isna(v) else f"{v:.6g}")
    css = pd.DataFrame("", index=table.index, columns=table.columns)
    for column in table.columns:
        if table[column].notna().any():
            css.loc[table[column].idxmin(), column] = MINIMUM_STYLE
    return shown.style.apply(lambda _: css, axis=None)


class _EstimationViews:
    """What show_estimation draws for an output, built once: the formatted tables and the CSV (building them on
    every rerun was most of the Registry's rerun). Cached data come back as copies, so an output is known by its
    widget key and a fingerprint of its numbers, not by identity."""

    def __init__(self, size: int = 32) -> None:
        self.size = size
        self.entries: dict[tuple, dict] = {}

    def of(self, key: str, output) -> dict:
        name = (key, float(output.log_likelihood), float(output.det_sigma_u), output.nobs,
                tuple(output.equations.index), len(output.coefficients))  # fmt: skip
        entry = self.entries.get(name)
        if entry is None:
            if len(self.entries) >= self.size:
                self.entries.pop(next(iter(self.entries)))
            entry = self.entries[name] = {}
        return entry


_ESTIMATION_VIEWS = _EstimationViews()


def _coefficient_view(output, equation: str) -> pd.DataFrame:
    table = output.table(equation).rename(columns={"estimate": "coefficient", "std_error": "std. error",
                                                    "t_statistic": "t-statistic", "p_value": "p-value"})  # fmt: skip
    return table.assign(**{
        "coefficient": table["coefficient"].map(format_statistic),
        "std. error": table["std. error"].map(format_statistic),
        "t-statistic": table["t-statistic"].map(lambda v: f"{v:.3f}"),
        "p-value": table["p-value"].map(format_pvalue),
    })  # fmt: skip


@st.fragment
def show_estimation(estimation: dict, key: str, file_stem: str) -> None:
    """Estimation output as EViews and R print it: per equation, the coefficients with standard errors, t and p; R²;
    the system's log-likelihood, criteria and residual correlation; the coefficients as CSV. A fragment: picking
    the fit or the equation reruns only this panel."""
    fits = [f for f in ("train", "data") if f in estimation]
    left, right = st.columns(2)
    fit = left.radio("Fit", fits, format_func=FIT_LABELS.get, horizontal=True, key=f"{key}_fit")
    output = estimation[fit]
    equations = list(output.equations.index)
    equation = right.selectbox("Equation", equations, key=f"{key}_equation")
    views = _ESTIMATION_VIEWS.of(f"{key}:{fit}", output)
    shown = views.get(("equation", equation))
    if shown is None:
        shown = views[("equation", equation)] = _coefficient_view(output, equation)
    st.dataframe(shown, width="stretch",
                 column_config={c: st.column_config.TextColumn(alignment="right") for c in shown.columns})  # fmt: skip
    stats_row = output.equations.loc[equation]
    st.caption(
        f"Equation {plain(equation)}: R² {stats_row['r_squared']:.4f}, adjusted R² {stats_row['adj_r_squared']:.4f}"
        f"{'' if output.centered else ' (uncentred: no constant)'}, residual s.e. "
        f"{format_statistic(stats_row['residual_se'])}; {output.nobs} observations. p-values from the normal "
        "distribution, as in statsmodels and JMulTi."
    )
    system, correlation = st.columns([2, 3])
    system.dataframe(
        pd.DataFrame({"value": [f"{output.log_likelihood:,.3f}", format_statistic(output.aic),
                                format_statistic(output.bic), format_statistic(output.hqic),
                                format_statistic(output.fpe), format_statistic(output.det_sigma_u)]},
                     index=["log-likelihood", "AIC", "BIC", "HQIC", "FPE", "det Σu (ML)"]),
        width="stretch", column_config={"value": st.column_config.TextColumn(alignment="right")},
    )  # fmt: skip
    if "correlation" not in views:
        views["correlation"] = output.correlation.map(lambda v: f"{v:.3f}")
        views["csv"] = output.to_csv().encode()
    correlation.dataframe(views["correlation"], width="stretch")
    correlation.caption("Residual correlation.")
    st.download_button("Download the coefficients (CSV)", views["csv"],
                       file_name=f"{file_stem}-{fit}-coefficients.csv", mime="text/csv", on_click="ignore",
                       key=f"{key}_download")  # fmt: skip
