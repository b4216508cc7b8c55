"""Production entry point: `streamlit run serve.py` (or `uvicorn serve:app`).

The same app as `streamlit run app.py`, served by st.App with the sign-in cookie routes of
ui/auth_routes.py, so a browser refresh keeps the user signed in until the idle timeout.
"""

import streamlit as st

from ui.auth_routes import routes

app = st.App("app.py", routes=routes())
