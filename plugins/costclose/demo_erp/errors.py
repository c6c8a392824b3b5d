"""Errors of the demo ERP a user can hit."""

from costclose.errors import CostcloseError


class DemoErpError(CostcloseError):
    """A demo-ERP command cannot run as asked; the message says what to do."""
