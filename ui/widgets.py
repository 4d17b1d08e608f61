"""Widgets every page shares: the store panel in the sidebar, and showing varlib errors."""

from __future__ import annotations

import streamlit as st

from ui import session
from varlib import VarlibError


def store_sidebar() -> None:
    """Which store is in use (never a secret), whether it answers, and a refresh of cached listings."""
    with st.sidebar:
        st.subheader("Model store")
        try:
            location = session.registry().store.location
        except VarlibError as exc:
            st.error(str(exc), icon=":material/error:")
            return
        st.caption(location)
        problem = session.store_problem()
        if problem:
            st.error(f"Store unavailable: {problem}", icon=":material/cloud_off:")
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
        st.error(f"This page needs the model store, which is unavailable: {problem}", icon=":material/cloud_off:")
        return False
    return True


def show_error(exc: VarlibError) -> None:
    st.error(str(exc), icon=":material/error:")


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
