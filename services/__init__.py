"""What the app and the command line call: catalog, periods, submissions, results, audit.

Every function takes an optional keyword `engine`; without it the engine of `DATABASE_URL` (or
the default SQLite file) is used. Functions return plain dataclasses and DataFrames, never ORM
objects, so callers need no session. Errors meant for users are `services.errors.ServiceError`
(their text is Chinese and says where the problem is). Nothing here imports Streamlit.
"""
