"""Persistence: the schema (models), engines and transactions (db), migrations, bulk loading.

Nothing here knows about pages or users; `services/` builds the operations on top.
"""
