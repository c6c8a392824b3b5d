"""Which warehouse URL a step connects with, so each step runs under its least-privilege role.

``step_url("extract")`` is, in this order:

1. the step's own login when one is configured (``AIRFLOW_CONN_COSTCLOSE_EXTRACT`` or
   ``COSTCLOSE_EXTRACT_PASSWORD``, see :mod:`costclose.security.credentials`): the warehouse URL with that
   user and password (the login's sessions run as ``costclose_extract``, set by ``costclose db roles``);
2. with ``COSTCLOSE_DB_ROLES=on`` and no login: the warehouse URL with the libpq startup option
   ``-c role=costclose_extract`` -- the server login (the embedded superuser) connects and immediately
   takes the role, exactly like ``SET ROLE``; psycopg2, SQLAlchemy (Great Expectations) and libpq tools
   honour it;
3. otherwise the warehouse URL unchanged (today's behaviour: everything as the server login).

dbt reads its connection from ``COSTCLOSE_PG_*`` variables (``costclose.transform.dbt.profile_env``),
which carry user and password but no startup options: run dbt with a transform login (case 1), or set
dbt's ``role`` (``COSTCLOSE_PG_ROLE``) to :func:`startup_role` of the URL for case 2.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from costclose.config import Settings
from costclose.security.credentials import login_for
from costclose.security.roles import group_role

ROLES_ENV = "COSTCLOSE_DB_ROLES"
_ON = {"1", "on", "true", "yes"}


def roles_enabled(env: Mapping[str, str] | None = None) -> bool:
    """True when steps without a login of their own should ``SET ROLE`` to their group role."""
    env = os.environ if env is None else env
    return env.get(ROLES_ENV, "").strip().lower() in _ON


def role_option(step: str) -> str:
    """The libpq startup option that makes a session take the step's role (for ``options``/PGOPTIONS)."""
    return f"-c role={group_role(step)}"


def with_login(url: str, user: str, password: str) -> str:
    """``url`` with its user and password replaced."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{quote(user, safe='')}:{quote(password, safe='')}@{host}"
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def with_role_option(url: str, step: str) -> str:
    """``url`` with the startup option ``-c role=costclose_<step>`` (any other ``options`` replaced)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "options"]
    query.append(("options", role_option(step)))
    return urlunsplit(
        (parts.scheme, parts.netloc, parts.path, urlencode(query, quote_via=quote), parts.fragment)
    )


def startup_options(url: str) -> str | None:
    """The libpq ``options`` of a URL (e.g. ``-c role=costclose_transform``), for ``PGOPTIONS``.

    dbt's profile carries host, port, user, password and database only: a caller running dbt on a
    ``step_url`` sets ``PGOPTIONS`` to this so dbt's sessions take the role too.
    """
    values = [v for k, v in parse_qsl(urlsplit(url).query) if k == "options"]
    return values[-1] if values else None


def startup_role(url: str) -> str | None:
    """The role a URL's ``options=-c role=NAME`` makes its sessions take (for dbt's ``role``)."""
    options = startup_options(url) or ""
    match = re.search(r"(?:^|\s)-c\s*role=(\S+)", options)
    return match.group(1) if match else None


def step_url(
    step: str,
    warehouse_url: str | None = None,
    *,
    env: Mapping[str, str] | None = None,
    cfg: Settings | None = None,
) -> str:
    """The warehouse URL the ``step`` (extract, transform, posting, validate, bi) should connect with."""
    group_role(step)  # unknown steps fail here
    if warehouse_url is None:
        from costclose.db import database_url

        warehouse_url = database_url("warehouse", cfg)
    login = login_for(step, env)
    if login is not None:
        return with_login(warehouse_url, login.user, login.password)
    if roles_enabled(env):
        return with_role_option(warehouse_url, step)
    return warehouse_url
