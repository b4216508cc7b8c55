"""Production entry point: `streamlit run serve.py` (or `uvicorn serve:app`).

The same app as `streamlit run app.py`, served by st.App with the sign-in cookie routes of
ui/auth_routes.py, so a browser refresh keeps the user signed in until the idle timeout, and
behind ui/http_guard.py: the host allow-list (ASSESS_ALLOWED_HOSTS), security headers on every
answer, and no anonymous /_stcore/metrics.
"""

import streamlit as st
from starlette.middleware import Middleware
from streamlit import config

from ui.auth_routes import routes
from ui.http_guard import HttpGuard, allowed_hosts

# Streamlit checks the websocket's Host against its own list too (defence in depth).
config.set_option("server.allowedHosts", allowed_hosts())
app = st.App("app.py", routes=routes(), middleware=[Middleware(HttpGuard)])
