"""Streamlit-side helpers shared by the app's pages (state, caching, language)."""
