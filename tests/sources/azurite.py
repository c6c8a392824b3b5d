"""Azurite, Microsoft's Azure Storage emulator (npm package ``azurite``), for tests of ``abfs://`` folders.

``installed_azurite_blob()`` installs the pinned version once into ``.costclose/tools/`` of the repository
(``npm install --prefix``; CI can warm it with the same command, see ``install_command``), and
``AzuriteBlob`` runs its blob service alone: in memory, on a free loopback port, stopped afterwards.
Missing node/npm or a failed install fails the test with what to do; nothing is skipped.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import fsspec
import pytest

# 3.36+ require node >= 21 (their package.json "engines"); this machine and Debian bookworm ship node 20.
AZURITE_VERSION = "3.35.0"
REPO = Path(__file__).resolve().parents[2]
TOOLS = REPO / ".costclose" / "tools"
INSTALL_TIMEOUT = 600
START_TIMEOUT = 30
# Azurite's well-known development account (https://learn.microsoft.com/azure/storage/common/storage-use-azurite):
# a public, documented key that only opens the local emulator.
ACCOUNT = "devstoreaccount1"
ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
_LISTENING = re.compile(r"Blob service successfully listens on http://127\.0\.0\.1:(\d+)")


def install_dir() -> Path:
    return TOOLS / f"azurite-{AZURITE_VERSION}"


def install_command(prefix: Path) -> list[str]:
    return [
        "npm",
        "install",
        "--prefix",
        str(prefix),
        f"azurite@{AZURITE_VERSION}",
        "--no-save",
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
    ]


def _require(program: str) -> str:
    found = shutil.which(program)
    if found is None:
        pytest.fail(
            f"{program} is not on PATH: the abfs:// tests run Azurite (npm package "
            f"azurite@{AZURITE_VERSION}), which needs Node.js 20+ and npm. Install them "
            "(Debian: apt-get install nodejs npm) and rerun.",
            pytrace=False,
        )
    return found


def installed_azurite_blob() -> Path:
    """The ``azurite-blob`` entry script of the pinned version, installed first if missing.

    The install goes to a temporary folder next to the final one and is renamed into place, so two
    test workers installing at once both end with one complete copy.
    """
    _require("node")
    script = install_dir() / "node_modules" / "azurite" / "dist" / "src" / "blob" / "main.js"
    if script.exists():
        return script
    npm = _require("npm")
    TOOLS.mkdir(parents=True, exist_ok=True)
    staging = TOOLS / f".azurite-{AZURITE_VERSION}-{uuid.uuid4().hex[:8]}"
    command = [npm, *install_command(staging)[1:]]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=INSTALL_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        shutil.rmtree(staging, ignore_errors=True)
        pytest.fail(
            f"`{' '.join(install_command(install_dir()))}` did not finish in {INSTALL_TIMEOUT} s; check the "
            "npm registry is reachable (npm config get registry) and rerun.",
            pytrace=False,
        )
    if done.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        shown = " ".join(install_command(install_dir()))
        pytest.fail(
            f"Installing Azurite failed (`{shown}`, exit {done.returncode}): {done.stderr.strip()[-2000:]}",
            pytrace=False,
        )
    try:
        staging.rename(install_dir())
    except OSError:  # another worker finished first: keep its copy
        shutil.rmtree(staging, ignore_errors=True)
    if not script.exists():
        pytest.fail(f"Azurite installed into {install_dir()} but {script} is missing.", pytrace=False)
    return script


class AzuriteBlob:
    """A running ``azurite-blob``: in-memory storage on a free port of 127.0.0.1."""

    def __init__(self, script: Path, workdir: Path) -> None:
        self.log_path = workdir / "azurite.log"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [
                _require("node"),
                str(script),
                "--blobHost",
                "127.0.0.1",
                "--blobPort",
                "0",  # Azurite takes a free port and prints it
                "--inMemoryPersistence",
                "--extentMemoryLimit",
                "256",
                "--disableTelemetry",
                # azure-storage-blob may ask for a service version newer than this Azurite knows
                "--skipApiVersionCheck",
                "--silent",
            ],
            cwd=workdir,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self.port = self._wait_for_port()

    def _wait_for_port(self) -> int:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            output = self.log_path.read_text(errors="replace")
            match = _LISTENING.search(output)
            if match:
                return int(match.group(1))
            if self.process.poll() is not None:
                self.stop()
                pytest.fail(
                    f"azurite-blob exited with {self.process.returncode}: {output[-2000:]}", pytrace=False
                )
            time.sleep(0.1)
        self.stop()
        pytest.fail(
            f"azurite-blob did not listen within {START_TIMEOUT} s: {self.log_path.read_text()[-2000:]}",
            pytrace=False,
        )

    @property
    def connection_string(self) -> str:
        return (
            f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};"
            f"BlobEndpoint=http://127.0.0.1:{self.port}/{ACCOUNT};"
        )

    def filesystem(self) -> Any:
        """An adlfs filesystem of its own (not fsspec's shared instance), as a separate writer would have."""
        return fsspec.filesystem("abfs", connection_string=self.connection_string, skip_instance_cache=True)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()


def start_azurite_blob() -> tuple[AzuriteBlob, Path]:
    """Install if needed and start; returns the server and its working folder (the caller removes it)."""
    script = installed_azurite_blob()
    workdir = Path(tempfile.mkdtemp(prefix="azurite-"))  # mode 0700
    return AzuriteBlob(script, workdir), workdir
