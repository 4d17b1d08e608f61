"""Widgets every page shares: the store panel in the sidebar, showing varlib errors, and text shown as text."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from ui import session
from varlib import InvalidInput, VarlibError, VersionSummary
from varlib.errors import DASHBOARD_INPUTS
from varlib.naming import LATEST
from varlib.plots import plot_forecast_revision

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


def show_lineage(metadata: dict, history: pd.DataFrame | None, label: str) -> None:
    """A refreshed version's parent, the data it revised and how the forecast moved (model.json `lineage`)."""
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
        st.plotly_chart(plot_forecast_revision(table, history, f"{parent['version']} forecast", f"{label} forecast"),
                        width="stretch")  # fmt: skip
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
