"""A council's own data: the data config (config/data.yml), readers of local tables, Ofsted's Annex A workbook.

The readers check a table with core's engine against its declaration (core.schema) and raise its first problem.

May import: core, published.
"""
