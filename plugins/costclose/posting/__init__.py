"""Posting the adjusting journal dbt built to a target, exactly once (issue 7).

``costclose.posting.service.post_period`` is the one entry point: it takes the outbound mart's
per-value-entry amounts, subtracts what this project already posted and the source does not show yet
(its own ledger, the role of BC's G/L - Item Ledger Relation), groups the delta into journal lines,
and posts them under a deterministic idempotency key. Every step is restartable.
"""
