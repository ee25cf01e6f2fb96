"""Statistical methods on tidy tables and series: benchmarks, funnel limits, significance, SPC, trends.

May import: core.
"""
