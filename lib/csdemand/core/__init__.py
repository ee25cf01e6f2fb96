"""Foundations every floor may use: errors, paths, the tidy table, code lists, text reading,
atomic writes, disclosure control, the number formatter and the period rules; and the local
tables' declarations (``reference/tables``) with the one engine that checks a table against them
(schema, reading CSV files with csvfile, reporting problems), so that the readers in ``local``
and ``validate`` in ``validation`` share it.

May import: nothing else in csdemand.
"""
