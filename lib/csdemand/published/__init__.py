"""Published statistics: readers of DfE and ONS files as published, the importer, the tidy-table store, local authorities.

May import: core.
"""
