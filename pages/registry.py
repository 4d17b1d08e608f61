"""Registry: every stored model and version; one version's details; aliases, deprecation and their history."""

import pandas as pd
import streamlit as st

from ui import session
from ui.widgets import (
    criteria_table,
    flash,
    plain,
    show_error,
    show_estimation,
    show_flash,
    show_lineage,
    stored_models_or_stop,
)
from varlib import VarlibError, Version
from varlib.data import describe_frequency
from varlib.formats import chosen_by_words, stability_words, terms_words
from varlib.registry.aliases import describe_change

st.title("Registry")
show_flash()  # what the last change on this page did
models = stored_models_or_stop()
url = session.store_url()
st.caption(f"All versions in the {plain(session.registry().store.location)}.")

try:
    listing = {name: session.versions(url, name, session.generation()) for name in models}
except VarlibError as exc:
    show_error(exc)
    st.stop()
rows = [
    {  # what an analyst scans for first, then the details: the note and the test accuracy are not off to the right
        "model": v.name,
        "version": v.version,
        "status": "deprecated" if v.deprecated else ("SNAPSHOT" if v.is_snapshot else "release"),
        "aliases": " ".join("@" + a for a in v.aliases),
        "test RMSE": ", ".join(f"{k} {r:.4g}" for k, r in v.test_rmse.items()),
        "p": v.lag_order,
        "stability": stability_words(v.stable),
        "note": v.note,
        "training data": f"{v.train_start} to {v.train_end}",
        "test data": f"{v.test_start} to {v.test_end}",
        "created": v.created[:19].replace("T", " "),
        "by": v.created_by,
        "variables (transform)": ", ".join(f"{name} ({v.transforms[name]})" for name in v.variables),
        "deterministic terms": terms_words(v.trend, v.terms),
        "refreshed from": v.parent,
        "fits": "evaluation + production" if v.production else "evaluation fit only",
        "deprecated because": v.deprecated or "",
    }
    for versions in listing.values()
    for v in versions
]
if not rows:
    st.info("The store holds no versions yet.")
    st.stop()
text = st.column_config.TextColumn
st.dataframe(
    pd.DataFrame(rows),
    width="stretch",
    hide_index=True,
    column_config={
        "model": text(pinned=True),
        "version": text(pinned=True),
        "status": text(width=80),
        "aliases": text(width=90),
        "p": st.column_config.NumberColumn(width=40),
        "stability": text(width=80),
        "test RMSE": text(width="medium"),
        "note": text(width="medium", help="The publisher's note; the whole of it is under Version details."),
        "training data": text(width=170),
        "test data": text(width=170),
    },
)
st.caption("Model and version stay in view while the table scrolls sideways; the details of one version are below.")

st.header("Version details")
left, right = st.columns(2)
name = left.selectbox("Model", [m for m in models if listing[m]])
summaries = listing[name]
chosen = right.selectbox("Version", [v.version for v in summaries])
summary = next(v for v in summaries if v.version == chosen)
try:
    version = session.load_version(url, name, summary.version, summary.created)
    lifecycle = session.lifecycle(url, name, session.generation())
except VarlibError as exc:
    show_error(exc)
    st.stop()
meta = version.metadata
if summary.deprecated:
    st.warning(f"Release {chosen} is deprecated: {plain(summary.deprecated)}. It stays loadable by its version; "
               "`latest` skips it and no alias can be moved onto it.", icon=":material/block:")  # fmt: skip
if meta.get("note"):
    st.markdown(f"**Note:** {plain(meta['note'])}")
if summary.aliases:
    st.info("Aliases pointing here: " + ", ".join(f"@{a}" for a in summary.aliases), icon=":material/label:")
if version.evaluation_only:
    st.caption("Evaluation fit only: stored before versions had a production fit; it forecasts from the end of its "
               "training rows.")  # fmt: skip

ranges, packages = st.columns(2)
ranges.subheader("Data")
ranges.dataframe(pd.DataFrame({part: meta["data"][part] for part in ("train", "test")}).T, width="stretch")
ranges.caption(f"Source: {plain(meta['data']['source'])} · {plain(describe_frequency(meta['data']['frequency']))} · "
               f"created by {plain(meta.get('created_by') or 'unknown')}")  # fmt: skip
packages.subheader("Packages")
packages.dataframe(pd.Series(meta["packages"], name="version"), width="stretch")

if meta.get("lineage"):
    st.subheader("Lineage")
    by_version = {v.version: v for v in summaries}
    chain, current = [chosen], summary
    while current is not None and current.parent.startswith(f"{name} ") and len(chain) < 50:
        parent_version = current.parent.split(" ", 1)[1]
        chain.append(parent_version)
        current = by_version.get(parent_version)
    st.write("Refreshed from: " + " ← ".join(chain))
    show_lineage(meta, version.levels, chosen)

st.subheader("Lag selection")
lag_table = pd.DataFrame(meta["lag_selection"]["table"]).set_index("p").rename(columns=str.upper)
st.dataframe(criteria_table(lag_table), width="stretch")
st.caption(f"Minimum of each criterion highlighted. Max lags {meta['lag_selection']['max_lags']}, deterministic "
           f"terms: {terms_words(meta['lag_selection']['trend'], version.summary.terms)}; "
           f"p = {meta['model']['lag_order']}, "
           f"{chosen_by_words(meta['model']['chosen_by'])}.")  # fmt: skip

st.subheader("Estimation output")
try:
    estimation = session.version_estimation(url, name, summary.version, summary.created)
except VarlibError as exc:
    show_error(exc)
else:
    st.caption(estimation.describe())
    show_estimation(estimation.fits, f"registry_estimation_{name}_{summary.version}", f"{name}-{summary.version}")

st.subheader("Checksums")
objects = pd.DataFrame(version.manifest["objects"]).T
objects.index = [f"{name}/{version.version.folder}/{file}" for file in objects.index]
st.dataframe(objects, width="stretch")
st.caption("Verified against manifest.json when the version was loaded.")

st.header(f"Aliases of {name}")
if lifecycle.aliases:
    st.dataframe(
        pd.DataFrame(
            [
                {"alias": f"@{a}", "version": t.version, "since": t.at, "by": t.by, "note": t.note}
                for a, t in sorted(lifecycle.aliases.items())
            ]
        ),
        width="stretch",
        hide_index=True,
    )
else:
    st.caption("No aliases yet. Point `production` at the release everyone should forecast with.")


def write_controls() -> None:
    """Alias moves, deprecation and SNAPSHOT deletion: for publishers only (the library checks it too)."""
    usable = [v.version for v in summaries if not v.is_snapshot and not v.deprecated]
    with st.form("move_alias"):
        st.write("Set or move an alias (every move is kept in the history below)")
        a_col, v_col, n_col = st.columns([1, 1, 2])
        alias = a_col.text_input("Alias", "production", max_chars=64, help="1-64 of a-z, 0-9, '-', '_'; not latest")
        target = v_col.selectbox("Release", usable, index=usable.index(chosen) if chosen in usable else 0,
                                 help="Releases that are not deprecated")  # fmt: skip
        note = n_col.text_input("Note", "", max_chars=2000, placeholder="Why it moves, e.g. 2009Q3 round")
        move = st.form_submit_button("Set alias", type="primary", disabled=not usable)
    if move:
        try:
            previous = session.writer().set_alias(name, alias.strip(), target, note=note, by=session.user())
        except VarlibError as exc:
            show_error(exc)
        else:
            session.store_changed()
            moved = f" (was {previous})" if previous else ""
            flash(f"@{plain(alias.strip())} now points at {target}{moved}.")
            st.rerun()
    if lifecycle.aliases:
        with st.popover("Delete an alias"):
            doomed = st.selectbox("Alias to delete", sorted(lifecycle.aliases), format_func=lambda a: f"@{a}")
            if st.button(f"Delete @{doomed}"):
                try:
                    session.writer().delete_alias(name, doomed, by=session.user())
                except VarlibError as exc:
                    show_error(exc)
                else:
                    session.store_changed()
                    flash(f"Deleted @{plain(doomed)} (kept in the history).")
                    st.rerun()

    chosen_version = Version.parse(chosen)
    if chosen_version.is_release:
        st.subheader(f"Deprecate {chosen}" if not summary.deprecated else f"Lift the deprecation of {chosen}")
        if summary.deprecated:
            if st.button(f"Undeprecate {chosen}"):
                try:
                    session.writer().undeprecate(name, chosen, by=session.user())
                except VarlibError as exc:
                    show_error(exc)
                else:
                    session.store_changed()
                    flash(f"{plain(name)} {chosen} is no longer deprecated.")
                    st.rerun()
        else:
            with st.form("deprecate"):
                reason = st.text_input("Reason (shown wherever the release is listed)", max_chars=2000)
                if st.form_submit_button("Deprecate release"):
                    try:
                        session.writer().deprecate(name, chosen, reason, by=session.user())
                    except VarlibError as exc:
                        show_error(exc)
                    else:
                        session.store_changed()
                        flash(f"Deprecated {plain(name)} {chosen}: `latest` skips it now.")
                        st.rerun()
            st.caption(
                "A deprecated release stays loadable by its exact version (releases are immutable), but `latest` "
                "skips it and no alias can be moved onto it."
            )
    else:
        st.subheader("Delete")
        confirm = st.checkbox(f"Yes, delete SNAPSHOT {name} {chosen}")
        if st.button("Delete SNAPSHOT", disabled=not confirm):
            try:
                session.writer().delete_snapshot(name, chosen, by=session.user())
            except VarlibError as exc:
                show_error(exc)
                st.stop()
            session.store_changed()
            flash(f"Deleted {plain(name)} {chosen}.")
            st.rerun()


if session.may_write():
    write_controls()
else:
    st.caption(f"Moving aliases, deprecating and deleting need the publisher role; {plain(session.user())} may "
               "only read.")  # fmt: skip

st.subheader("History")
if lifecycle.history:
    history = pd.DataFrame(
        [{"when": e.get("at"), "by": e.get("by"), "what": describe_change(e)} for e in reversed(lifecycle.history)]
    )
    st.dataframe(history, width="stretch", hide_index=True)
else:
    st.caption("No alias moves, deprecations or deletions yet.")
