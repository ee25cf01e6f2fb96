"""csdemand: children's services demand briefings from DfE published statistics and local data.

Layers speak one tidy long table (see :mod:`csdemand.tidy`): readers in :mod:`csdemand.sources`
turn published files into it, :mod:`csdemand.store` keeps it in ``data/sample``, and the analysis
modules (:mod:`csdemand.benchmarks`, :mod:`csdemand.funnel`, ...) read it back.
"""

__version__ = "0.1.0"
