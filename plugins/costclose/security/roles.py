"""The warehouse's least-privilege roles, and the one idempotent command that creates them.

One NOLOGIN group role per step, named ``costclose_<step>``:

========== ============================================ =================================================
role       owns (creates, alters, writes)               reads
========== ============================================ =================================================
extract    ``raw``, ``landing`` (watermarks, batches,   --
           quarantine, control totals)
transform  dbt's schemas: ``staging``, ``intermediate``, ``raw``; ``posting`` (dbt source of what was
           ``marts``, ``outbound``, ``seeds``           posted)
posting    ``posting`` (its ledger)                     ``intermediate`` (the resolved postings
                                                        post_period reads), ``outbound`` (the journal)
validate   ``validation``, ``validation_work`` (GX      ``raw``, ``marts``, ``outbound`` (what the
           results, snapshots)                          suites in expectations/ and the alerts read)
bi         --                                           ``marts`` only
========== ============================================ =================================================

Why a role gets a little more than its schemas (each is what today's code needs; see the lead's notes):

* ``CREATE`` on the database for every writing role: ``landing.schema.ensure_schema``,
  ``posting.ledger.ensure_schema``, ``validation.store`` and dbt run ``create schema if not exists``,
  which PostgreSQL checks against the database's CREATE privilege even when the schema exists.
  CREATE on a database only lets a role make new schemas; it gives nothing on the others' schemas.
* ``CREATE`` on ``posting`` for transform: dbt's ``on-run-start`` hook (``create_posting_ledger``)
  runs ``create table if not exists posting.posted_value_entry``, which needs CREATE on the schema even
  when the table exists. It cannot write to the posting role's tables.
* ``TEMP`` for extract (its COPY staging tables) and transform (dbt's temporary relations).

``apply_roles`` converges: it (re)creates the roles, makes each owner own its schemas and everything in
them (a warehouse built before roles existed is owned by the server login), revokes what the roles had on
the managed schemas and grants it again, and sets DEFAULT PRIVILEGES so the tables dbt creates later stay
readable by BI (and by posting and validation). Running it twice changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import psycopg2
import psycopg2.extensions
from psycopg2 import sql

from costclose.errors import DatabaseError
from costclose.security.credentials import Login, login_for

log = logging.getLogger(__name__)

PREFIX = "costclose_"


@dataclass(frozen=True)
class RoleSpec:
    """What one step's group role may do in the warehouse database."""

    step: str
    owns: tuple[str, ...] = ()
    reads: tuple[str, ...] = ()
    create_in: tuple[str, ...] = ()
    create_schemas: bool = False
    temp: bool = False
    read_only: bool = False
    purpose: str = ""

    @property
    def name(self) -> str:
        return group_role(self.step)


ROLES: dict[str, RoleSpec] = {
    r.step: r
    for r in (
        RoleSpec(
            "extract",
            owns=("raw", "landing"),
            create_schemas=True,
            temp=True,
            purpose="loads BC tables into raw; watermarks, batches, quarantine in landing",
        ),
        RoleSpec(
            "transform",
            owns=("staging", "intermediate", "marts", "outbound", "seeds"),
            reads=("raw", "posting"),
            create_in=("posting",),
            create_schemas=True,
            temp=True,
            purpose="dbt: reads raw and the posting ledger, builds its schemas",
        ),
        RoleSpec(
            "posting",
            owns=("posting",),
            reads=("intermediate", "outbound"),
            create_schemas=True,
            purpose="reads the resolved postings and the outbound journal, writes its ledger",
        ),
        RoleSpec(
            "validate",
            owns=("validation", "validation_work"),
            # staging too: the close pack (written under this role) names items from stg_bc__items
            reads=("raw", "staging", "marts", "outbound"),
            create_schemas=True,
            purpose="Great Expectations gates and the close pack: read the warehouse, store results",
        ),
        RoleSpec("bi", reads=("marts",), read_only=True, purpose="the BI tool: reads marts, writes nothing"),
    )
}

STEPS: tuple[str, ...] = tuple(ROLES)


def group_role(step: str) -> str:
    """The NOLOGIN group role of a step (``costclose_<step>``)."""
    if step not in ROLES:
        raise ValueError(f"unknown step {step!r}; use one of {', '.join(ROLES)}")
    return PREFIX + step


def managed_schemas() -> tuple[str, ...]:
    """Every schema some role owns or reads, in a stable order."""
    seen: dict[str, None] = {}
    for spec in ROLES.values():
        for s in (*spec.owns, *spec.reads, *spec.create_in):
            seen.setdefault(s, None)
    return tuple(seen)


def owner_of(schema: str) -> RoleSpec | None:
    return next((spec for spec in ROLES.values() if schema in spec.owns), None)


@dataclass
class RolesReport:
    """What ``apply_roles`` did: roles ensured, logins set (user names only), objects re-owned."""

    database: str
    roles: list[str] = field(default_factory=list)
    created_roles: list[str] = field(default_factory=list)
    logins: dict[str, str] = field(default_factory=dict)  # step -> login user
    reowned: int = 0


# ---------------------------------------------------------------------------------------------------


def _role_exists(cur: psycopg2.extensions.cursor, name: str) -> bool:
    cur.execute("select 1 from pg_roles where rolname = %s", (name,))
    return cur.fetchone() is not None


def _ensure_group(cur: psycopg2.extensions.cursor, name: str) -> bool:
    if _role_exists(cur, name):
        cur.execute(sql.SQL("alter role {} nologin").format(sql.Identifier(name)))
        return False
    cur.execute(sql.SQL("create role {} nologin").format(sql.Identifier(name)))
    return True


def _ensure_login(cur: psycopg2.extensions.cursor, spec: RoleSpec, login: Login, database: str) -> None:
    user = sql.Identifier(login.user)
    if login.user.startswith(PREFIX) and login.user[len(PREFIX) :] in ROLES:
        raise DatabaseError(
            f"The login user {login.user!r} of {login.source} has the name of a group role: "
            f"pick another user name (e.g. {spec.name}_login)."
        )
    cur.execute(
        "select rolsuper or rolcreaterole or rolname = current_user from pg_roles where rolname = %s",
        (login.user,),
    )
    existing = cur.fetchone()
    if existing is None:
        cur.execute(sql.SQL("create role {} login").format(user))
    elif existing[0]:
        # never demote an administrator because a variable named it as a step's login
        raise DatabaseError(
            f"The login user {login.user!r} of {login.source} is an administrator role: give the step "
            f"a user of its own (e.g. {spec.name}_login)."
        )
    # SCRAM-hashed on the client by libpq: the clear password never reaches the server or its log.
    hashed = psycopg2.extensions.encrypt_password(login.password, login.user, cur.connection, "scram-sha-256")
    cur.execute(
        sql.SQL("alter role {} with login nosuperuser nocreatedb nocreaterole password %s").format(user),
        (hashed,),
    )
    cur.execute(sql.SQL("grant {} to {}").format(sql.Identifier(spec.name), user))
    # Every session of the login runs as the group role, so what it creates is owned by the group
    # (and so covered by the group's default privileges).
    cur.execute(
        sql.SQL("alter role {} in database {} set role = {}").format(
            user, sql.Identifier(database), sql.Literal(spec.name)
        )
    )
    if spec.read_only:
        # belt and braces for a reader: its login's transactions are read-only even where a grant slipped
        cur.execute(
            sql.SQL("alter role {} in database {} set default_transaction_read_only = on").format(
                user, sql.Identifier(database)
            )
        )


_OWNER_DDL = {
    "r": "table",
    "p": "table",
    "v": "view",
    "m": "materialized view",
    "f": "foreign table",
    "S": "sequence",
}


def _reown_schema(cur: psycopg2.extensions.cursor, schema: str, owner: str) -> int:
    """Make ``owner`` own ``schema`` and its relations and functions; return how many changed owner."""
    cur.execute(
        sql.SQL("create schema if not exists {} authorization {}").format(
            sql.Identifier(schema), sql.Identifier(owner)
        )
    )
    cur.execute(sql.SQL("alter schema {} owner to {}").format(sql.Identifier(schema), sql.Identifier(owner)))
    # an owner's rights can be revoked (by hand, or an older run): give them back
    for what in ("schema", "all tables in schema", "all sequences in schema"):
        cur.execute(
            sql.SQL("grant all on {} {} to {}").format(
                sql.SQL(what), sql.Identifier(schema), sql.Identifier(owner)
            )
        )
    # sequences owned by a column follow their table; indexes and composite row types too
    cur.execute(
        """
        select c.relname, c.relkind
        from pg_class c
        join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = %s and c.relkind in ('r', 'p', 'v', 'm', 'f', 'S')
          and pg_get_userbyid(c.relowner) <> %s
          and not (c.relkind = 'S' and exists (
              select 1 from pg_depend d
              where d.objid = c.oid and d.classid = 'pg_class'::regclass and d.deptype in ('a', 'i')
          ))
        order by c.relname
        """,
        (schema, owner),
    )
    relations = cur.fetchall()
    for name, kind in relations:
        cur.execute(
            sql.SQL("alter {} {}.{} owner to {}").format(
                sql.SQL(_OWNER_DDL[kind]), sql.Identifier(schema), sql.Identifier(name), sql.Identifier(owner)
            )
        )
    cur.execute(
        """
        select p.oid::regprocedure::text
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname = %s and pg_get_userbyid(p.proowner) <> %s
        """,
        (schema, owner),
    )
    functions = [r[0] for r in cur.fetchall()]
    for signature in functions:
        # regprocedure text is already a quoted, qualified signature produced by PostgreSQL itself
        cur.execute(sql.SQL("alter routine {} owner to {}").format(sql.SQL(signature), sql.Identifier(owner)))
    return len(relations) + len(functions)


def _revoke_managed(cur: psycopg2.extensions.cursor, roles: Iterable[str], schemas: Sequence[str]) -> None:
    """Take back what the group roles had on the managed schemas, so the grants below are the whole truth."""
    cur.execute("select nspname from pg_namespace where nspname = any(%s)", (list(schemas),))
    existing = {r[0] for r in cur.fetchall()}
    schemas = [s for s in schemas if s in existing]
    for role in roles:
        r = sql.Identifier(role)
        owned = ROLES[role.removeprefix(PREFIX)].owns
        for schema in (s for s in schemas if s not in owned):  # an owner's own rights stay
            s = sql.Identifier(schema)
            cur.execute(sql.SQL("revoke all on schema {} from {}").format(s, r))
            cur.execute(sql.SQL("revoke all on all tables in schema {} from {}").format(s, r))
            cur.execute(sql.SQL("revoke all on all sequences in schema {} from {}").format(s, r))


def _grant_reads(cur: psycopg2.extensions.cursor, spec: RoleSpec, admin: str) -> None:
    reader = sql.Identifier(spec.name)
    for schema in spec.reads:
        s = sql.Identifier(schema)
        cur.execute(sql.SQL("grant usage on schema {} to {}").format(s, reader))
        cur.execute(sql.SQL("grant select on all tables in schema {} to {}").format(s, reader))
        owner = owner_of(schema)
        # tables created later: by the owning role, and by the admin login (steps not yet run under
        # their role create tables as the server login; they must stay readable too)
        creators = [owner.name] if owner else []
        creators.append(admin)
        for creator in creators:
            cur.execute(
                sql.SQL(
                    "alter default privileges for role {} in schema {} grant select on tables to {}"
                ).format(sql.Identifier(creator), s, reader)
            )
    for schema in spec.create_in:
        cur.execute(sql.SQL("grant usage, create on schema {} to {}").format(sql.Identifier(schema), reader))


def _database_grants(cur: psycopg2.extensions.cursor, database: str, specs: Iterable[RoleSpec]) -> None:
    db = sql.Identifier(database)
    # PUBLIC gets CONNECT and TEMP on a new database: BI must not even create temporary tables.
    cur.execute(sql.SQL("revoke all on database {} from public").format(db))
    for spec in specs:
        r = sql.Identifier(spec.name)
        cur.execute(sql.SQL("revoke all on database {} from {}").format(db, r))
        privileges = ["connect"]
        if spec.create_schemas:
            privileges.append("create")
        if spec.temp:
            privileges.append("temporary")
        cur.execute(
            sql.SQL("grant {} on database {} to {}").format(
                sql.SQL(", ").join(map(sql.SQL, privileges)), db, r
            )
        )
    # the default schema: nobody but its owner creates there (PostgreSQL >= 15 default, made explicit)
    cur.execute("revoke create on schema public from public")


def _bootstrap_tables(url: str, steps: Sequence[str]) -> None:
    """Create the tables each step owns, as that step's role, so they exist owned by it from the start.

    In particular ``posting.posted_value_entry`` must be the posting role's (dbt's on-run-start would
    otherwise create it as the transform role).
    """
    from costclose.landing.schema import ensure_schema as landing_schema
    from costclose.posting.ledger import ensure_schema as posting_schema
    from costclose.validation.store import ensure_schema as validation_schema

    ddl = {"extract": landing_schema, "posting": posting_schema, "validate": validation_schema}
    for step in (s for s in steps if s in ddl):
        ensure = ddl[step]
        conn = psycopg2.connect(url)
        try:
            with conn.cursor() as cur:
                cur.execute(sql.SQL("set role {}").format(sql.Identifier(group_role(step))))
            ensure(conn)
            conn.commit()
        finally:
            conn.close()


def _ensure_schemas(cur: psycopg2.extensions.cursor, specs: Sequence[RoleSpec], report: RolesReport) -> None:
    """The selected roles' own schemas re-owned; the schemas they read or create in exist."""
    owned = {schema: spec for spec in specs for schema in spec.owns}
    for schema, spec in owned.items():
        report.reowned += _reown_schema(cur, schema, spec.name)
    for spec in specs:
        for schema in (*spec.reads, *spec.create_in):
            owner = owner_of(schema)
            if owner is not None and schema not in owned:
                cur.execute(
                    sql.SQL("create schema if not exists {} authorization {}").format(
                        sql.Identifier(schema), sql.Identifier(owner.name)
                    )
                )


def _converge(
    cur: psycopg2.extensions.cursor,
    specs: Sequence[RoleSpec],
    database: str,
    env: dict[str, str] | None,
    report: RolesReport,
) -> None:
    cur.execute("select current_user, rolsuper or rolcreaterole from pg_roles where rolname = current_user")
    admin, may_create = cur.fetchone()
    if not may_create:
        raise DatabaseError(
            f"{admin} may not create roles: run `costclose db roles` with the server's admin login "
            "(COSTCLOSE_DATABASE_URL)."
        )
    # one roles run at a time (role DDL is cluster-wide)
    cur.execute("select pg_advisory_xact_lock(hashtext('costclose.security.roles'))")
    for spec in ROLES.values():  # every group exists: default privileges name the owners
        if _ensure_group(cur, spec.name):
            report.created_roles.append(spec.name)
    _database_grants(cur, database, specs)
    _ensure_schemas(cur, specs, report)
    _revoke_managed(cur, [s.name for s in specs], managed_schemas())
    for spec in specs:
        _grant_reads(cur, spec, admin)
        login = login_for(spec.step, env)
        if login is not None:
            _ensure_login(cur, spec, login, database)
            report.logins[spec.step] = login.user
    report.roles = [s.name for s in specs]


def apply_roles(
    warehouse_url: str,
    steps: Sequence[str] | None = None,
    *,
    env: dict[str, str] | None = None,
) -> RolesReport:
    """Create or update the group roles (and logins) of ``steps`` (default: all) in the warehouse.

    ``warehouse_url`` must log in as a role that may create roles and own the warehouse's schemas
    (the embedded server's superuser, or the compose file's ``POSTGRES_USER``). Idempotent.
    """
    wanted = list(steps) if steps else list(STEPS)
    for step in wanted:
        group_role(step)
    database = urlsplit(warehouse_url).path.lstrip("/")
    report = RolesReport(database=database)
    try:
        conn = psycopg2.connect(warehouse_url)
    except psycopg2.OperationalError as exc:
        raise DatabaseError(f"Cannot connect to the warehouse to create roles: {exc}") from exc
    try:
        with conn.cursor() as cur:
            _converge(cur, [ROLES[s] for s in wanted], database, env, report)
        conn.commit()
    except psycopg2.Error as exc:
        conn.rollback()
        raise DatabaseError(f"Creating the database roles failed: {exc.pgerror or exc}") from exc
    finally:
        conn.close()
    _bootstrap_tables(warehouse_url, wanted)
    log.info("roles %s in %s (%d objects re-owned)", ", ".join(report.roles), database, report.reowned)
    return report
