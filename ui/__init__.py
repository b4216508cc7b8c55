"""Streamlit building blocks shared by the pages: texts, formats, charts, filters, cached data."""
