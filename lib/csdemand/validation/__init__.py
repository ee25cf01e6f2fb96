"""validate: every problem in every configured local source and the shipped tables (python -m csdemand validate).

Orchestration only: the local tables are checked by core's engine (core.schema), the one the readers use.

May import: core, published, local.
"""
