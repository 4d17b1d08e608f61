"""Registry: every stored model and version with its metadata; details of one; delete a SNAPSHOT."""

import pandas as pd
import streamlit as st

from ui import session
from ui.widgets import plain, show_error, stored_models_or_stop
from varlib import VarlibError, Version

st.title("Registry")
models = stored_models_or_stop()
url = session.store_url()
st.caption(f"All versions in the {plain(session.registry().store.location)}.")

try:
    listing = {name: session.versions(url, name, session.generation()) for name in models}
except VarlibError as exc:
    show_error(exc)
    st.stop()
rows = [
    {
        "model": v.name,
        "version": v.version,
        "created": v.created,
        "p": v.lag_order,
        "variables": ", ".join(f"{name} ({v.transforms[name]})" for name in v.variables),
        "trend": v.trend,
        "test RMSE": ", ".join(f"{k} {r:.4g}" for k, r in v.test_rmse.items()),
        "train": f"{v.train_start} – {v.train_end}",
        "test": f"{v.test_start} – {v.test_end}",
        "stable": v.stable,
        "note": v.note,
    }
    for versions in listing.values()
    for v in versions
]
if not rows:
    st.info("The store holds no versions yet.")
    st.stop()
st.dataframe(pd.DataFrame(rows), width="stretch", hide_index=True)

st.header("Version details")
left, right = st.columns(2)
name = left.selectbox("Model", [m for m in models if listing[m]])
summaries = listing[name]
chosen = right.selectbox("Version", [v.version for v in summaries])
summary = next(v for v in summaries if v.version == chosen)
try:
    version = session.load_version(url, name, summary.version, summary.created)
except VarlibError as exc:
    show_error(exc)
    st.stop()
meta = version.metadata

ranges, packages = st.columns(2)
ranges.subheader("Data")
ranges.dataframe(pd.DataFrame({part: meta["data"][part] for part in ("train", "test")}).T, width="stretch")
ranges.caption(f"Source: {plain(meta['data']['source'])} · frequency {plain(meta['data']['frequency'])}")
packages.subheader("Packages")
packages.dataframe(pd.Series(meta["packages"], name="version"), width="stretch")

st.subheader("Lag selection")
lag_table = pd.DataFrame(meta["lag_selection"]["table"]).set_index("p").rename(columns=str.upper)
st.dataframe(lag_table.style.highlight_min(color="#c8e6c9").format("{:.6g}"), width="stretch")
st.caption(f"Max lags {meta['lag_selection']['max_lags']}, trend {meta['lag_selection']['trend']}; "
           f"chosen p = {meta['model']['lag_order']} ({meta['model']['chosen_by']}).")  # fmt: skip

st.subheader("Checksums")
objects = pd.DataFrame(version.manifest["objects"]).T
objects.index = [f"{name}/{version.version.folder}/{file}" for file in objects.index]
st.dataframe(objects, width="stretch")
st.caption("Verified against manifest.json when the version was loaded.")

if Version.parse(chosen).is_snapshot:
    st.subheader("Delete")
    confirm = st.checkbox(f"Yes, delete SNAPSHOT {name} {chosen}")
    if st.button("Delete SNAPSHOT", disabled=not confirm):
        try:
            session.registry().delete_snapshot(name, chosen)
        except VarlibError as exc:
            show_error(exc)
            st.stop()
        session.store_changed()
        st.success(f"Deleted {name} {chosen}.")
        st.rerun()
else:
    st.caption("Releases are immutable and cannot be deleted here.")
