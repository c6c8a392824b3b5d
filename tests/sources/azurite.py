"""Azurite, Microsoft's Azure Storage emulator (npm package ``azurite``), for tests of ``abfs://`` folders.

``installed_azurite_blob()`` installs the pinned version once into ``.costclose/tools/`` of the repository
(``npm install --prefix``; CI can warm it with the same command, see ``install_command``), and
``AzuriteBlob`` runs its blob service alone: in memory, on a free loopback port, stopped afterwards.
Missing node/npm or a failed install fails the test with what to do; nothing is skipped.
"""

from __future__ import annotations

import datetime
import ipaddress
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
_LISTENING = re.compile(r"Blob service successfully listens on https?://127\.0\.0\.1:(\d+)")


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


def _self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (its own CA) and its key, as PEM files in ``folder``."""
    # cryptography is what the azure extra already brings (azure-identity, msal); openssl's CLI may be absent
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "azurite-cert.pem", folder / "azurite-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_file, key_file


class AzuriteBlob:
    """A running ``azurite-blob``: in-memory storage on a free port of 127.0.0.1.

    ``https=True`` serves TLS with a fresh self-signed certificate (``cert_file``; trust it with
    ``SSL_CERT_FILE``), which adlfs's ``account_host`` needs: adlfs always builds ``https://<account_host>``.
    """

    def __init__(self, script: Path, workdir: Path, *, https: bool = False) -> None:
        self.scheme = "https" if https else "http"
        tls: list[str] = []
        self.cert_file: Path | None = None
        if https:
            self.cert_file, key_file = _self_signed_certificate(workdir)
            tls = ["--cert", str(self.cert_file), "--key", str(key_file)]
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
                *tls,
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
    def account_host(self) -> str:
        """What adlfs's ``account_host`` option takes: the endpoint after ``https://``."""
        return f"127.0.0.1:{self.port}/{ACCOUNT}"

    @property
    def connection_string(self) -> str:
        return (
            f"DefaultEndpointsProtocol={self.scheme};AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};"
            f"BlobEndpoint={self.scheme}://{self.account_host};"
        )

    def filesystem(self) -> Any:
        """An adlfs filesystem of its own (not fsspec's shared instance), as a separate writer would have.
        Over https, the process must trust ``cert_file`` (``SSL_CERT_FILE``)."""
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


def start_azurite_blob(*, https: bool = False) -> tuple[AzuriteBlob, Path]:
    """Install if needed and start; returns the server and its working folder (the caller removes it)."""
    try:
        import adlfs  # noqa: F401 - what bc2adls:abfs:// needs, besides the emulator
    except ImportError:
        pytest.fail(
            "adlfs is not installed: the abfs:// tests need the optional extra azure. Run "
            "`python3 -m uv sync --frozen --extra azure` and rerun.",
            pytrace=False,
        )
    script = installed_azurite_blob()
    workdir = Path(tempfile.mkdtemp(prefix="azurite-"))  # mode 0700
    return AzuriteBlob(script, workdir, https=https), workdir
