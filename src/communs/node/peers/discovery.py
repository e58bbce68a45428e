"""Find other nodes on the local network with mDNS/DNS-SD, so people need not type URLs.

Each node advertises its HTTP API as a ``_communs._tcp.local.`` service and browses for the
others. Discovery only suggests peers: whatever ``on_found`` receives is a URL to try, and
everything fetched from it is verified like any other peer's events.
"""

import asyncio
import ipaddress
import logging
import os
import socket
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from zeroconf import (
    InterfaceChoice,
    IPVersion,
    ServiceBrowser,
    ServiceInfo,
    ServiceStateChange,
    Zeroconf,
)

from ... import __version__
from ...core.errors import BadInput
from ...domain.refusals import code, fault

log = logging.getLogger("communs.discovery")

SERVICE_TYPE = "_communs._tcp.local."
RESOLVE_TIMEOUT_MS = 3000
IPV4_ONLY = code(
    "discovery_ipv4_only", "LAN discovery advertises IPv4 only; listen on 0.0.0.0, not {host}"
)


def _primary_ipv4() -> str:
    """The address other machines most likely reach us on: the one of the default route.

    Connecting a UDP socket sends nothing; it only asks the kernel which source it would use.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.254.254.254", 9))
            return probe.getsockname()[0]
        except OSError:
            return "127.0.0.1"


def _log_failure(registration: Future) -> None:
    if not registration.cancelled() and registration.exception() is not None:
        log.error("could not advertise this node on the LAN: %s", registration.exception())


class LanDiscovery:
    """Advertise this node's HTTP API and report the other nodes seen on the same network."""

    def __init__(
        self,
        host: str,
        port: int,
        on_found: Callable[[str], None],
        *,
        interfaces: list[str] | None = None,
    ):
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            address = ipaddress.ip_address(socket.gethostbyname(host))
        if address.version == 6 and not address.is_unspecified:
            raise fault(BadInput, IPV4_ONLY, host=host)
        self.port = port
        self.on_found = on_found
        self.name = f"communs-{port}-{os.getpid()}.{SERVICE_TYPE}"
        # Explicit interfaces keep multicast where we want it (tests: loopback only). A node
        # on the wildcard address serves every interface, so it uses zeroconf's default one.
        if interfaces:
            self._interfaces: list[str] | InterfaceChoice = list(interfaces)
            self._advertised = list(interfaces)
        elif address.is_unspecified:
            self._interfaces = InterfaceChoice.Default
            self._advertised = [_primary_ipv4()]
        else:
            self._interfaces = [str(address)]
            self._advertised = [str(address)]
        self._zc: Zeroconf | None = None
        self._browser: ServiceBrowser | None = None
        self._info: ServiceInfo | None = None
        self._resolver: ThreadPoolExecutor | None = None
        self._registration: Future | None = None
        self._known: dict[str, str] = {}  # instance name -> last URL reported
        self._lock = threading.Lock()
        self._stopped = False

    def start(self) -> None:
        """Browse at once and register in the background: probing for a unique name takes
        about 1.7 s, which should not delay the node's start nor the discovery of others."""
        self._zc = Zeroconf(interfaces=self._interfaces, ip_version=IPVersion.V4Only)
        self._resolver = ThreadPoolExecutor(max_workers=1, thread_name_prefix="communs-mdns")
        try:
            self._info = ServiceInfo(
                SERVICE_TYPE,
                self.name,
                addresses=[socket.inet_aton(ip) for ip in self._advertised],
                port=self.port,
                properties={"version": __version__, "path": "/"},
            )
            self._browser = ServiceBrowser(self._zc, SERVICE_TYPE, handlers=[self._on_change])
            # allow_name_change: should the name be taken, zeroconf renames self._info in place
            # before our records go out, so _on_change still recognises its own instance.
            self._registration = asyncio.run_coroutine_threadsafe(
                self._zc.async_register_service(self._info, allow_name_change=True),
                self._zc.loop,
            )
            self._registration.add_done_callback(_log_failure)
        except BaseException:
            self.stop()  # leave no sockets or threads behind
            raise

    def stop(self) -> None:
        """Withdraw the advertisement so peers forget us promptly; calling it again does nothing."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        if self._registration:
            self._registration.cancel()
        if self._browser:
            self._browser.cancel()
        if self._resolver:
            # Waiting (for at most one lookup) means on_found is never called after stop().
            self._resolver.shutdown(wait=True, cancel_futures=True)
        if self._zc:
            self._zc.close()  # sends goodbyes for the registered service, then closes sockets

    def _on_change(
        self, zeroconf: Zeroconf, service_type: str, name: str, state_change: ServiceStateChange
    ) -> None:
        """Called on zeroconf's thread: hand the work over and return at once."""
        if self._info is not None and name == self._info.name:
            return
        if state_change is ServiceStateChange.Removed:
            with self._lock:
                self._known.pop(name, None)  # so that a node coming back is reported again
            return
        with self._lock:
            if self._stopped or self._resolver is None:
                return
            self._resolver.submit(self._resolve, zeroconf, service_type, name)

    def _resolve(self, zeroconf: Zeroconf, service_type: str, name: str) -> None:
        """Look up address and port (usually already cached), and report each node once."""
        try:
            info = zeroconf.get_service_info(service_type, name, timeout=RESOLVE_TIMEOUT_MS)
        except Exception:  # zeroconf closing under us, or a malformed record
            return
        if info is None or info.port is None:
            return
        addresses = info.parsed_addresses(IPVersion.V4Only)
        if not addresses:
            return
        url = f"http://{addresses[0]}:{info.port}"
        with self._lock:
            if self._stopped or self._known.get(name) == url:
                return
            self._known[name] = url
        try:
            self.on_found(url)
        except Exception:  # the executor would swallow it silently
            log.exception("handling LAN peer %s failed", url)
