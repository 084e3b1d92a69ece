"""The PostgreSQL store (database.url): the protocols of store/contract.py on asyncpg.

One module per table family, as the SQLite store has them, each with its own SQL
(docs/postgresql.md: the queries are few enough to write twice rather than translate).
The row types are the SQLite modules' own, so callers see the same values from either
backend, timestamps included (ISO text, store/db.py iso()). Store.configured opens it.
"""
