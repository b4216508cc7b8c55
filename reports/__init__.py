"""Views of scored results for the dashboard, the meeting view and exports.

Pure pandas on the engine's frames (`Results.units`, `Results.leaves`): no Streamlit, no SQL.
"""
