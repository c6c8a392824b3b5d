"""The demo ERP: a BC-shaped PostgreSQL database that posts the way Business Central does (issue 3).

Schema ``bc`` (``schema``), the W1 CRONUS master data (``masterdata``), the simulator (``simulate``),
posting value entries to the G/L by the rules of spec §B (``gl_posting``), known discrepancies with a
ground-truth manifest (``discrepancies``) and G/L journals posted back by the close (``journal``).
"""
