"""Widgets every page shares: the store panel in the sidebar, showing varlib errors, and text shown as text."""

from __future__ import annotations

import re

import streamlit as st

from ui import session
from varlib import VarlibError

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
    # Messages quote file names, column names and stored keys: shown as text, never as markup.
    st.error(plain(exc), icon=":material/error:")


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
