"""The dashboard's shared Streamlit code: caches, session state and the sidebar. Logic stays in varlib."""
