"""Rendering: notebook discovery, execution with Papermill/nbclient, HTML pages, batches and the index.

May import: core, published, local, validation, present (never briefings: notebooks call them).
"""
