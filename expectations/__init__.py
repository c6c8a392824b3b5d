"""costclose's Great Expectations suites, as Python code.

Loaded by ``costclose.validation.suites.load_expectations`` as the package ``costclose_expectations``
(this folder is not on ``sys.path``; see README.md). Each module builds GX suites for one company and
period; ``SUITES_BY_STAGE`` says which suites gate which step of the close.
"""

from __future__ import annotations

from costclose.validation.model import Stage

from . import outbound_journal, raw_landing, tie_out

SUITES_BY_STAGE = {
    Stage.RAW: [raw_landing.suites],
    Stage.PRE_POSTING: [raw_landing.suites, outbound_journal.suites, tie_out.pre_posting],
    Stage.POST_POSTING: [tie_out.post_posting],
}
