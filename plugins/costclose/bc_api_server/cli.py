"""``costclose bc-api serve``: serve the demo ERP over HTTP in Business Central's API shapes.

The client id and secret are read from environment variables (names given by options, defaults
``BC_CLIENT_ID`` / ``BC_CLIENT_SECRET``) and never printed; the command prints the ``bc_api:`` source
URL to put in costclose.yml, which refers to the same variables.
"""

from __future__ import annotations

import os
from typing import Annotated

import typer
from rich.console import Console

from costclose import db
from costclose.errors import ConfigError

SECRET_ENV = "BC_CLIENT_SECRET"  # noqa: S105 - the name of an environment variable, not a secret
console = Console(soft_wrap=True)  # URLs stay on one line, to copy
app = typer.Typer(
    help="A BC-shaped HTTP server (API v2.0 + OData v4) over the demo ERP.", no_args_is_help=True
)


@app.command("serve")
def serve(
    port: Annotated[int, typer.Option(help="TCP port on 127.0.0.1")] = 7048,
    environment: Annotated[str, typer.Option(help="environment name in the URL")] = "production",
    page_size: Annotated[int, typer.Option(help="server-driven page size (BC online: 20000)")] = 20_000,
    client_id_env: Annotated[str, typer.Option(help="env var holding the client id")] = "BC_CLIENT_ID",
    client_secret_env: Annotated[str, typer.Option(help="env var holding the client secret")] = SECRET_ENV,
) -> None:
    """Serve the demo ERP database until interrupted (Ctrl-C)."""
    import uvicorn

    from costclose.bc_api_server.app import ServerConfig, create_app

    missing = [v for v in (client_id_env, client_secret_env) if not os.environ.get(v)]
    if missing:
        raise ConfigError(
            f"Set {', '.join(missing)} (the client id/secret the server accepts) and run again."
        )
    config = ServerConfig(
        erp_url=db.database_url("erp"),
        client_id=os.environ[client_id_env],
        client_secret=os.environ[client_secret_env],
        page_size=page_size,
    )
    base = f"http://127.0.0.1:{port}/v2.0/{environment}"
    console.print(f"BC API server for {db.redact(config.erp_url)} on [bold]{base}[/]")
    console.print(
        f"source URL: bc_api:{base}?client_id_env={client_id_env}&client_secret_env={client_secret_env}"
    )
    uvicorn.run(create_app(config), host="127.0.0.1", port=port, log_level="warning")
