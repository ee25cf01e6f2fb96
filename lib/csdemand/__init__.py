"""csdemand: children's services demand briefings from DfE published statistics and local data.

The package is built in floors; each subpackage imports only from those below it
(``tests/test_layers.py`` checks this):

- ``core``: errors, paths, the tidy long table, code lists, text reading, atomic writes, disclosure
- ``published``: readers of DfE/ONS files as published, the importer, the store, local authorities
- ``local``: the council's own tables through ``config/data.yml`` (CSV, XLSX, SQL, Annex A)
- ``methods``: benchmarks, funnel limits, significance, SPC, trends
- ``validation``: checks that list every problem in a table
- ``present``: HTML fragments, tables, charts, provenance
- ``briefings``: one module per briefing and the narrative it generates
- ``render``: notebooks executed and written as self-contained pages, batches, the index
- ``synthetic``: seeded synthetic local extracts
"""

__version__ = "0.1.0"
