"""The optional LOGIN user of a step, read only from the environment or an Airflow connection.

A step's login comes from, in this order:

1. the Airflow connection ``costclose_<step>`` given in the environment
   (``AIRFLOW_CONN_COSTCLOSE_<STEP>``, a URI or Airflow's JSON form): its login and password;
2. ``COSTCLOSE_<STEP>_PASSWORD``, with the user name ``COSTCLOSE_<STEP>_USER``
   (default ``costclose_<step>_login``).

Without either, the step has no login user of its own (it runs as the server login, with ``SET ROLE``
when roles are enabled). The password is never logged nor printed: :class:`Login` hides it from
``repr``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from costclose.errors import ConfigError


@dataclass(frozen=True)
class Login:
    """A LOGIN user for one step; ``source`` names where the password came from (never the password)."""

    user: str
    password: str = field(repr=False)
    source: str


def connection_id(step: str) -> str:
    return f"costclose_{step}"


def login_for(step: str, env: Mapping[str, str] | None = None) -> Login | None:
    """The step's login user from the environment, or None when none is configured."""
    env = os.environ if env is None else env
    conn_var = f"AIRFLOW_CONN_{connection_id(step).upper()}"
    if env.get(conn_var):
        uri = _uri_from(env[conn_var], step)
        parts = urlsplit(uri)
        if not parts.username or parts.password is None:
            raise ConfigError(
                f"{conn_var} must carry a login and a password (postgresql://USER:PASSWORD@host/db); "
                "set both or unset the variable."
            )
        return Login(unquote(parts.username), unquote(parts.password), conn_var)
    pw_var = f"COSTCLOSE_{step.upper()}_PASSWORD"
    if env.get(pw_var):
        user = env.get(f"COSTCLOSE_{step.upper()}_USER") or f"costclose_{step}_login"
        return Login(user, env[pw_var], pw_var)
    return None


def _uri_from(text: str, step: str) -> str:
    """An Airflow connection given as a URI or as Airflow's JSON form, as a URI."""
    from costclose.companies import _uri_from_json

    return _uri_from_json(connection_id(step), text) if text.lstrip().startswith("{") else text
