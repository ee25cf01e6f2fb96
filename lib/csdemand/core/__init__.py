"""Foundations every floor may use: errors, paths, the tidy table, code lists, text reading, atomic writes, disclosure control.

May import: nothing else in csdemand.
"""
