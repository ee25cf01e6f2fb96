"""Checks of local and shipped tables that list every problem (python -m csdemand validate).

May import: core, published, local.
"""
