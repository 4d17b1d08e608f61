"""Refresh: a stored version's specification refitted on new data, compared with it, published as its child."""

import pandas as pd
import streamlit as st

from ui import session
from ui.widgets import (
    VersionChoices,
    data_source,
    keep_choice,
    plain,
    show_error,
    show_lineage,
    show_notes,
    stored_models_or_stop,
)
from varlib import InvalidInput, VarlibError, Version
from varlib.data import describe_frequency
from varlib.refresh import DEFAULT_COMPARE_STEPS, MAX_COMPARE_STEPS
from varlib.registry import next_release

st.title("Refresh a version with new data")
st.caption(
    "The quarterly round: new data in, the stored specification refitted on them, the forecast revision "
    "and test metrics against the version refreshed, then publish the result as its child and promote it."
)
models = stored_models_or_stop()
url = session.store_url()

left, right = st.columns([1, 3])
keep_choice("refresh_model_input", session.FORECAST_MODEL, models)  # the model chosen on the other pages
name = left.selectbox("Model", models, key="refresh_model_input")
st.session_state[session.FORECAST_MODEL] = name
try:
    summaries = session.versions(url, name, session.generation())
except VarlibError as exc:
    show_error(exc)
    st.stop()
if not summaries:
    st.info(f"Model {plain(name)} has no versions.")
    st.stop()
choices = VersionChoices(summaries)
pinned = st.session_state.pop("refresh_pin", None)  # after a refresh: the concrete version refreshed, not `latest`
if pinned in choices.options:
    st.session_state["refresh_version_input"] = pinned
keep_choice("refresh_version_input", session.FORECAST_VERSION, choices.options)  # else the one chosen elsewhere
choice = right.selectbox("Version to refresh", choices.options, format_func=choices.label, key="refresh_version_input")
summary = choices.summary(choice)
try:
    parent = session.load_version(url, name, summary.version, summary.created)
except VarlibError as exc:
    show_error(exc)
    st.stop()
stored = parent.levels
st.caption(
    f"{plain(name)} {summary.version}: {parent.model.label} on {plain(', '.join(parent.model.variables))}, "
    f"data {stored.index[0].date()} to {stored.index[-1].date()} ({len(stored)} rows, "
    f"{describe_frequency(parent.model.freq)}), "
    f"test size {len(parent.test_levels)}."
)

st.header("1. New data")
data_choice = data_source("refresh", "CSV or Excel file with a date column and the model's variables: all rows, or "
                          "only those after the stored data (with any revised rows)",
                          "refuse: stop at an empty cell; drop: rows with one at the start or end; interpolate: "
                          "linearly in time")  # fmt: skip

with st.form("refresh_parameters"):
    c1, c2, c3 = st.columns(3)
    test_size = c1.number_input("Test size (rows held out)", 1, 500, len(parent.test_levels))
    steps = c2.number_input("Forecast steps compared", 1, MAX_COMPARE_STEPS, DEFAULT_COMPARE_STEPS)
    reselect = c3.checkbox("Reselect the lag order", help="by the stored criterion; unticked, p is kept")
    submitted = st.form_submit_button("Refresh", type="primary")

if submitted:
    try:
        with st.spinner(f"Refitting {name} {summary.version} on the new data…"):
            result = session.refreshed(url, name, summary.version, summary.created, data_choice, bool(reselect),
                                       int(test_size), int(steps))  # fmt: skip
    except InvalidInput as exc:
        show_error(exc)  # expanded, where it happened
        st.stop()
    st.session_state[session.REFRESH] = result
    # `latest` moves once the refresh is published: from now on, the picker names the version refreshed.
    st.session_state["refresh_pin"] = summary.version
    st.rerun()

refreshed = st.session_state.get(session.REFRESH)
if refreshed is None or (refreshed.parent.name, str(refreshed.parent.version)) != (name, summary.version):
    st.info("Choose the new data and click Refresh.")
    st.stop()
result = refreshed.result

st.header("2. What changed")
cols = st.columns(4)
cols[0].metric("New rows", refreshed.new_rows)
cols[1].metric("Data end", str(result.levels.index[-1].date()))
kept = "kept" if refreshed.lag_order_kept else f"by {result.chosen_by.upper()}"
cols[2].metric("Lag order p", f"{result.model.lag_order} ({kept})")
cols[3].metric("Stable (production fit)", "yes" if result.production_stability.stable else "NO")
show_notes(refreshed.notes + result.notes)
# The units are the parent's: a refresh has the same variables, whatever file the new rows came from.
show_lineage({"lineage": result.lineage, "data": {"source": parent.metadata["data"].get("source")}}, result.levels,
             "The result", "refreshed forecast")  # fmt: skip
st.subheader("Test metrics")
st.dataframe(refreshed.metrics.style.format("{:.4g}", na_rep="–"), width="stretch")
st.caption(f"Each on its own test rows: {summary.version}'s end {parent.test_levels.index[-1].date()}, the refresh's "
           f"end {result.test_levels.index[-1].date()}.")  # fmt: skip

st.header("3. Publish the refresh")
if not session.may_write():
    st.info(f"Publishing and promoting need the publisher role; {plain(session.user())} may only read.",
            icon=":material/lock:")  # fmt: skip
    st.stop()
existing = session.versions(url, name, session.generation())
suggested = str(next_release(existing))
c1, c2 = st.columns([1, 2])
version_text = c1.text_input("Version", suggested, key=f"refresh_version_{summary.version}")
note = c2.text_input("Note", f"Refresh of {summary.version} with data to {result.levels.index[-1].date()}",
                     max_chars=2000)  # fmt: skip
try:
    version = Version.parse(version_text.strip())
    session.registry().planned_keys(name, version)
except VarlibError as exc:
    show_error(exc)
    st.stop()
attempt = (name, str(version), note, session.fit_key(result.model))
published = st.session_state.get(session.REFRESH_PUBLISHED)
just_published = published is not None and published["attempt"] == attempt
confirmed = True
if version.is_release and not just_published:
    confirmed = st.checkbox(f"Release {name} {version} is permanent: once published it can never be changed or "
                            "deleted, only deprecated.", key=f"refresh_confirm_{name}_{version}")  # fmt: skip
if st.button("Publish refresh", type="primary", disabled=just_published or not confirmed) and not just_published:
    try:
        receipt = session.writer().publish(result, name, version, note=note, by=session.user())
    except VarlibError as exc:
        show_error(exc)
        st.stop()
    session.store_changed()
    st.session_state[session.REFRESH_PUBLISHED] = {"attempt": attempt, "version": str(version)}
    st.session_state[session.FORECAST_MODEL] = name
    st.session_state[session.FORECAST_VERSION] = str(version)
    st.rerun()

if just_published:
    st.success(f"Published {plain(name)} {version}, a child of {summary.version}.")
    if version.is_release:
        lifecycle = session.lifecycle(url, name, session.generation())
        current = lifecycle.aliases.get("production")
        where = f"(now {current.version})" if current else "(not set yet)"
        if st.button(f"Promote: point @production at {version} {where}"):
            try:
                session.writer().set_alias(name, "production", str(version), note=f"refresh of {summary.version}",
                                             by=session.user())  # fmt: skip
            except VarlibError as exc:
                show_error(exc)
                st.stop()
            session.store_changed()
            st.success(f"@production of {plain(name)} now points at {version}.")
    st.page_link("pages/forecast.py", label=f"Forecast with {name} {version}", icon=":material/trending_up:")

with st.expander("The refreshed data (last rows)"):
    tail = result.levels.tail(8)
    st.dataframe(pd.DataFrame(tail.to_numpy(), index=tail.index.strftime("%Y-%m-%d"), columns=tail.columns),
                 width="stretch")  # fmt: skip
