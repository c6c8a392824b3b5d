"""Least-privilege database roles: one NOLOGIN group role per step of the close, optional LOGIN users.

* :mod:`costclose.security.roles` -- what each role may do, and ``apply_roles`` (``costclose db roles``,
  ``costclose bi grant``) that creates and grants them idempotently in the warehouse database;
* :mod:`costclose.security.session` -- the warehouse URL a step connects with (its login user, or the
  server login with ``SET ROLE``), so each step runs under its role when roles are configured.
"""

from costclose.security.credentials import login_for
from costclose.security.roles import ROLES, RoleSpec, apply_roles, group_role
from costclose.security.session import roles_enabled, startup_options, step_url

__all__ = [
    "ROLES",
    "RoleSpec",
    "apply_roles",
    "group_role",
    "login_for",
    "roles_enabled",
    "startup_options",
    "step_url",
]
