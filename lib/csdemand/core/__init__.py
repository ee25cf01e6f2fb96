"""Foundations every floor may use: errors, paths, the tidy table, code lists, text reading,
atomic writes, disclosure control, the number formatter and the period rules.

May import: nothing else in csdemand.
"""
