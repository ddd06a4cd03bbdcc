"""devstack.stack.free_port: ports for the processes the tests, the benchmarks and the cluster start are
taken below the kernel's ephemeral range, so no outgoing connection can take one before the
server binds it (it did: "address already in use" under load), and are free when handed out."""
from __future__ import annotations

import socket

from devstack.stack import _ephemeral_low, free_port


def test_ports_are_below_the_ephemeral_range_and_free() -> None:
    low = _ephemeral_low()
    for pair in (False, True):
        ports = {free_port(pair=pair) for _ in range(20)}
        assert all(10000 <= port < low - 1 for port in ports) and len(ports) > 1
        for port in ports:
            for p in (port, port + 1) if pair else (port,):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", p))
