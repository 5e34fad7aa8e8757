"""Peers by mDNS: each LAN gate announces its UDP port as an ``_admit-gate._udp`` service
and adds every other gate it finds to its node's peers. Finding a gate does not make it
trusted: its messages still have to carry a signature from a device the server lists.
zeroconf runs its own threads; the WorkerManager starts and stops them with the others.
"""

from __future__ import annotations

import hashlib
import logging
import socket
from typing import Any

from .node import LanNode

log = logging.getLogger("scanner_client.lan")

SERVICE = "_admit-gate._udp.local."


def _addresses(host: str) -> list[str]:
    if host not in ("", "0.0.0.0"):
        return [host]
    import ifaddr

    found = [ip.ip for adapter in ifaddr.get_adapters() for ip in adapter.ips
             if isinstance(ip.ip, str) and not ip.ip.startswith("127.")]
    return found or ["127.0.0.1"]


class Discovery:
    def __init__(self, node: LanNode, host: str) -> None:
        self.node = node
        self.host = host
        # A name that stays the same across restarts and says nothing about the device.
        tag = hashlib.sha256(node.key.public_b64.encode()).hexdigest()[:12]
        self.name = f"admit-gate-{tag}.{SERVICE}"
        self._zc: Any = None
        self._browser: Any = None

    def start(self) -> None:
        from zeroconf import InterfaceChoice, IPVersion, ServiceBrowser, ServiceInfo, Zeroconf

        self.stop()  # a retry after a failed start begins clean
        addresses = _addresses(self.host)
        interfaces: Any = addresses if self.host not in ("", "0.0.0.0") else InterfaceChoice.All
        self._zc = Zeroconf(interfaces=interfaces, ip_version=IPVersion.V4Only)
        self._zc.register_service(ServiceInfo(
            SERVICE, self.name, port=self.node.port,
            addresses=[socket.inet_aton(a) for a in addresses]))
        self._browser = ServiceBrowser(self._zc, SERVICE, handlers=[self._on_change])

    def stop(self) -> None:
        if self._zc is None:
            return
        try:
            self._browser.cancel()
            self._zc.unregister_all_services()
        finally:
            self._zc.close()
            self._zc = None

    def _on_change(self, zeroconf: Any, service_type: str, name: str, state_change: Any) -> None:
        from zeroconf import ServiceStateChange

        if name == self.name or state_change is not ServiceStateChange.Added:
            return  # a gate that goes away simply stops being heard
        info = zeroconf.get_service_info(service_type, name, timeout=1000)
        if info is None or not info.port:
            return
        for address in info.parsed_addresses():
            log.info("mDNS: peer gate at %s:%s", address, info.port)
            self.node.add_peer((address, int(info.port)))
