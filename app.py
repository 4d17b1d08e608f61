"""varlib dashboard: Train and Publish; Forecast, Refresh, Analyze, Compare and Registry of stored versions."""

from pathlib import Path

import streamlit as st

from ui import session
from ui.widgets import login_gate, store_sidebar

# A local file: a Material icon as page icon is fetched from a font CDN, which an offline machine cannot reach.
FAVICON = str(Path(__file__).parent / "ui" / "favicon.png")
st.set_page_config(page_title="varlib: VAR models", page_icon=FAVICON, layout="wide")

pages = {
    "Build a model": [
        st.Page("pages/train.py", title="Train", icon=":material/model_training:", default=True),
        st.Page("pages/publish.py", title="Publish", icon=":material/cloud_upload:"),
    ],
    "Use stored models": [
        st.Page("pages/forecast.py", title="Forecast", icon=":material/trending_up:"),
        st.Page("pages/refresh.py", title="Refresh", icon=":material/update:"),
        st.Page("pages/analyze.py", title="Analyze", icon=":material/query_stats:"),
        st.Page("pages/compare.py", title="Compare", icon=":material/compare_arrows:"),
        st.Page("pages/registry.py", title="Registry", icon=":material/inventory_2:"),
    ],
}
# Until a configured login succeeds, the pages are not even listed.
logged_out = session.login_configured() and not st.user.is_logged_in
page = st.navigation(pages, position="hidden" if logged_out else "sidebar")
login_gate()
store_sidebar()
page.run()
