"""Publish: store the fitted model as a version: immutable release, or a SNAPSHOT that may be replaced."""

import streamlit as st

from ui import session
from ui.widgets import plain, require_store, show_error
from varlib import VarlibError, Version
from varlib.naming import validate_model_name
from varlib.registry import next_release

st.title("Publish a version")

result = st.session_state.get(session.RESULT)
if result is None:
    st.info("Fit a model on the Train page first; its result stays here while you switch pages.")
    st.page_link("pages/train.py", label="Go to Train", icon=":material/model_training:")
    st.stop()

st.write(
    f"Model to publish: **VAR({result.model.lag_order})** on {', '.join(result.model.variables)} "
    f"({', '.join(result.model.transforms)}), trend {result.model.trend}, trained on {result.dataset_source} "
    f"{result.train_levels.index[0].date()} to {result.train_levels.index[-1].date()}."
)
if not require_store():
    st.stop()
registry = session.registry()

name = st.text_input("Model name", "var", max_chars=64, help="1-64 lowercase letters, digits, '-' or '_'")
try:
    validate_model_name(name)
    existing = session.versions(session.store_url(), name, session.generation())
    suggested = next_release(existing)
except VarlibError as exc:
    show_error(exc)
    st.stop()

snapshot = st.toggle("SNAPSHOT (may be replaced or deleted later)", value=False)
default = f"{suggested}-SNAPSHOT" if snapshot else str(suggested)
version_text = st.text_input("Version", default, help="MAJOR.MINOR.PATCH, e.g. 0.0.1; the suggestion is the next patch")
if snapshot and not version_text.endswith("-SNAPSHOT"):
    version_text += "-SNAPSHOT"
note = st.text_area("Note", "", max_chars=2000, placeholder="What changed, why this version exists…")

try:
    version = Version.parse(version_text)
    keys = registry.planned_keys(name, version)
except VarlibError as exc:
    show_error(exc)
    st.stop()

already = next((v for v in existing if v.version == str(version)), None)
if already and version.is_release:
    st.warning(f"Version {version} of {name!r} already exists (created {plain(already.created)}); releases are "
               f"immutable, so publishing it again will be refused. Suggested next version: {suggested}.")  # fmt: skip
elif already:
    st.info(f"SNAPSHOT {version} exists (created {plain(already.created)}) and will be replaced.")

st.write(f"These objects will be written to the {plain(registry.store.location)}, the manifest last:")
st.code("\n".join(keys), language=None)

if st.button("Publish", type="primary"):
    with st.status(f"Publishing {name} {version}…") as status:
        try:
            receipt = registry.publish(result, name, version, note=note)
        except VarlibError as exc:
            status.update(label="Not published", state="error")
            show_error(exc)
            st.stop()
        status.update(label=f"Published {name} {version}", state="complete")
    session.store_changed()
    st.session_state[session.FORECAST_MODEL] = name
    st.session_state[session.FORECAST_VERSION] = str(version)
    st.success(f"Published {name} {version} to the {plain(receipt.location)}.")
    st.code("\n".join(receipt.keys), language=None)
    if not receipt.index_updated:
        st.warning(f"The version index was not updated; run `python -m varlib reindex {name}`.")
    st.page_link("pages/forecast.py", label=f"Forecast with {name} {version}", icon=":material/trending_up:")
