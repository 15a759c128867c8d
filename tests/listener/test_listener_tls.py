"""Optional TLS, with and without client-certificate verification."""

from __future__ import annotations

import socket
import ssl
import subprocess
from pathlib import Path

import pytest
from mllp_client import END, START, Listener, ack_code, oru


def _cert(folder: Path, name: str, ca: tuple[Path, Path] | None = None) -> tuple[Path, Path]:
    key, crt = folder / f"{name}.key", folder / f"{name}.crt"
    base = [
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-keyout",
        str(key),
        "-out",
        str(crt),
        "-subj",
        f"/CN={name}",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
    ]
    if ca is None:
        subprocess.run(base, check=True, capture_output=True)
    else:
        csr = folder / f"{name}.csr"
        subprocess.run(
            [
                "openssl",
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                str(key),
                "-out",
                str(csr),
                "-subj",
                f"/CN={name}",
            ],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [
                "openssl",
                "x509",
                "-req",
                "-in",
                str(csr),
                "-CA",
                str(ca[1]),
                "-CAkey",
                str(ca[0]),
                "-CAcreateserial",
                "-out",
                str(crt),
                "-days",
                "2",
            ],
            check=True,
            capture_output=True,
        )
    return key, crt


def _send(port: int, context: ssl.SSLContext) -> str:
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        tls.sendall(START + oru(1) + END)
        data = b""
        while END not in data:
            chunk = tls.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            data += chunk
    return ack_code(data.partition(END)[0].lstrip(START))


def test_tls_with_client_certificates(tmp_path: Path) -> None:
    server_key, server_crt = _cert(tmp_path, "server")
    ca_key, ca_crt = _cert(tmp_path, "clientca")
    client_key, client_crt = _cert(tmp_path, "client", (ca_key, ca_crt))
    listener = Listener(
        f"sqlite:///{tmp_path / 'inbox.db'}",
        tmp_path / "out",
        "--tls-cert",
        str(server_crt),
        "--tls-key",
        str(server_key),
        "--tls-client-ca",
        str(ca_crt),
        workers=0,
    )
    try:
        context = ssl.create_default_context(cafile=str(server_crt))
        context.load_cert_chain(client_crt, client_key)
        assert _send(listener.port, context) == "AA"
        anonymous = ssl.create_default_context(cafile=str(server_crt))
        with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
            _send(listener.port, anonymous)
    finally:
        assert listener.terminate() == 0
