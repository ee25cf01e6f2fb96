"""Rendering: notebook discovery, execution with Papermill/nbclient, HTML pages, batches and the index.

May import: core, published, local, validation, present (never briefings: notebooks call them).
"""

import sys

# JupyterLab (`make lab`) brings rfc3987-syntax, which jsonschema imports whenever it is installed
# (nbformat imports jsonschema): building its grammar costs 2-4 s in every render process, more
# than a briefing takes. jsonschema treats the package as optional (it only checks "iri" formats,
# which no notebook schema uses), so a render process goes without it.
if "jsonschema" not in sys.modules:
    sys.modules.setdefault("rfc3987_syntax", None)
