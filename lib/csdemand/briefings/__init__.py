"""One module per briefing (looked after, referrals, early help, summary) and the narrative they generate.

May import: core, published, local, methods, present.
"""
