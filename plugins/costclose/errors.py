"""Errors a user can hit. Each message says what to do next."""


class CostcloseError(Exception):
    """Base class: the CLI prints these as one clear line and exits non-zero."""


class DatabaseError(CostcloseError):
    """The database could not be started, reached or prepared."""


class ConfigError(CostcloseError):
    """costclose.yml or the environment is wrong."""
