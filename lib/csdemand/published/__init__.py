"""Published statistics: readers of DfE and ONS files as published (and LAIT), the importer,
the tidy-table store, local authorities and their lifetimes.

May import: core.
"""
