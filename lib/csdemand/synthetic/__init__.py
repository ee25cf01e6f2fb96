"""Seeded synthetic local extracts (referrals, early help) for the shipped sample; they describe no real child.

May import: core, published, local.
"""
