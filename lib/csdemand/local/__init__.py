"""A council's own data: the data config (config/data.yml), readers of local tables, Ofsted's Annex A workbook.

May import: core, published.
"""
