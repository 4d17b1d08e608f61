"""Publish: store the fitted model as a version: immutable release, or a SNAPSHOT that may be replaced.

What is published is exactly what the fields show when Publish is clicked. The fields keep what the analyst typed
(across reruns, the SNAPSHOT toggle and page switches); only an untouched version field follows the suggestion.
After a publish the button stays disabled until something changes, so a second click publishes nothing.
"""

import streamlit as st

from ui import session
from ui.widgets import plain, remember, require_store, restore_widget, show_error
from varlib import VarlibError, Version
from varlib.formats import terms_words
from varlib.naming import validate_model_name
from varlib.registry import next_release

SNAPSHOT_SUFFIX = "-SNAPSHOT"

st.title("Publish a version")

result = st.session_state.get(session.RESULT)
if result is None:
    st.info("Fit a model on the Train page first; its result stays here while you switch pages.")
    st.page_link("pages/train.py", label="Go to Train", icon=":material/model_training:")
    st.stop()

terms = result.model.regressors_words()
st.write(
    f"Model to publish: **{result.model.label}** on "
    + ", ".join(f"{plain(v)} ({t})" for v, t in zip(result.model.variables, result.model.transforms, strict=True))
    + f"; deterministic terms: {terms_words(result.model.trend, terms)}; trained on {plain(result.dataset_source)} "
    f"{result.train_levels.index[0].date()} to {result.train_levels.index[-1].date()}; its production fit uses all "
    f"rows to {result.levels.index[-1].date()}."
)
if not require_store():
    st.stop()
if not session.may_write():
    st.info(f"Publishing needs the publisher role; {plain(session.user())} may only read. Ask an administrator to add "
            "you to the publishers.", icon=":material/lock:")  # fmt: skip
    st.stop()
registry = session.registry()
fit_id = session.fit_key(result.model)

# Widget state is dropped when the page is left: restore it from plain keys that survive page switches.
for widget, remembered, default in (
    ("publish_name_input", session.PUBLISH_NAME, "var"),
    ("publish_note_input", session.PUBLISH_NOTE, ""),
    ("publish_snapshot_input", session.PUBLISH_SNAPSHOT, False),
):
    restore_widget(widget, remembered, default)


def version_typed() -> None:
    st.session_state[session.PUBLISH_VERSION] = st.session_state["publish_version_input"]


def snapshot_toggled() -> None:
    """Keep the typed version; only add or remove its -SNAPSHOT suffix."""
    remember("publish_snapshot_input", session.PUBLISH_SNAPSHOT)
    typed = st.session_state.get(session.PUBLISH_VERSION)
    if typed is None:
        return  # untouched: the suggestion follows the toggle
    base = typed.strip().removesuffix(SNAPSHOT_SUFFIX)
    typed = base + SNAPSHOT_SUFFIX if st.session_state["publish_snapshot_input"] else base
    st.session_state[session.PUBLISH_VERSION] = typed
    st.session_state["publish_version_input"] = typed


name = st.text_input(
    "Model name",
    max_chars=64,
    key="publish_name_input",
    on_change=remember,
    args=("publish_name_input", session.PUBLISH_NAME),
    help="1-64 lowercase letters, digits, '-' or '_'",
)
try:
    validate_model_name(name)
    existing = session.versions(session.store_url(), name, session.generation())
    suggested = next_release(existing)
except VarlibError as exc:
    show_error(exc)
    st.stop()

snapshot = st.toggle(
    "SNAPSHOT (may be replaced or deleted later)", key="publish_snapshot_input", on_change=snapshot_toggled
)
typed = st.session_state.get(session.PUBLISH_VERSION)
shown_version = typed if typed is not None else f"{suggested}{SNAPSHOT_SUFFIX if snapshot else ''}"
st.session_state["publish_version_input"] = shown_version
version_text = st.text_input(
    "Version",
    key="publish_version_input",
    on_change=version_typed,
    help=f"MAJOR.MINOR.PATCH, e.g. 0.0.1; the suggestion is the next patch, {suggested}",
)
note = st.text_area(
    "Note",
    max_chars=2000,
    placeholder="What changed, why this version exists…",
    key="publish_note_input",
    on_change=remember,
    args=("publish_note_input", session.PUBLISH_NOTE),
)

try:
    version = Version.parse(version_text.strip())
    keys = registry.planned_keys(name, version)
except VarlibError as exc:
    show_error(exc)
    st.stop()
if snapshot != version.is_snapshot:
    st.caption("The version typed decides: " + ("a SNAPSHOT." if version.is_snapshot else "a release."))

attempt = (name, str(version), note, fit_id)
last = st.session_state.get(session.PUBLISHED)
just_published = last is not None and last["attempt"] == attempt

already = next((v for v in existing if v.version == str(version)), None)
if just_published:
    pass  # the success below says what was published
elif already and version.is_release:
    st.warning(
        f"Version {version} of {plain(name)} already exists (created {plain(already.created)}); releases "
        f"are immutable, so publishing it again will be refused. Suggested next version: {suggested}."
    )
elif already:
    st.info(f"SNAPSHOT {version} exists (created {plain(already.created)}) and will be replaced.")
if not just_published:
    st.write(f"These objects will be written to the {plain(registry.store.location)}, the manifest last:")
    st.code("\n".join(keys), language=None)

confirmed = True
if version.is_release and not just_published:
    confirmed = st.checkbox(
        f"Release {name} {version} is permanent: once published it can never be changed or deleted, only deprecated.",
        key=f"publish_confirm_{name}_{version}",
    )
clicked = st.button(
    "Publish",
    type="primary",
    disabled=just_published or not confirmed,
    help="Published; change the version, name or note to publish again" if just_published else None,
)

if clicked and not just_published and confirmed:
    try:
        with st.spinner(f"Publishing {name} {version}…"):
            receipt = session.writer().publish(result, name, version, note=note, by=session.user())
    except VarlibError as exc:
        show_error(exc)  # in place and expanded, not inside a collapsed status box
        st.stop()
    session.store_changed()
    st.session_state[session.PUBLISHED] = {
        "attempt": attempt,
        "keys": receipt.keys,
        "location": receipt.location,
        "index_updated": receipt.index_updated,
    }
    # The field keeps the published version: the next suggestion must be typed or accepted, never clicked into.
    st.session_state[session.PUBLISH_VERSION] = str(version)
    st.session_state[session.FORECAST_MODEL] = name
    st.session_state[session.FORECAST_VERSION] = str(version)
    st.rerun()

if just_published:
    st.success(f"Published {plain(name)} {version} to the {plain(last['location'])}.")
    st.code("\n".join(last["keys"]), language=None)
    if not last["index_updated"]:
        st.warning(f"The version index was not updated; run `python -m varlib reindex {name}`.")
    st.page_link("pages/forecast.py", label=f"Forecast with {name} {version}", icon=":material/trending_up:")
