"""Proxies: the CONNECT tunnel, and proxy settings and credentials from the environment."""

from __future__ import annotations

import asyncio
import netrc
import os
import ssl
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from .. import hdrs
from ..helpers import BasicAuth
from ..http.models import HttpVersion11
from ..http.serializer import serialize_request_head
from .exceptions import (
    ClientConnectorCertificateError,
    ClientConnectorSSLError,
    ClientHttpProxyError,
    ConnectionTimeoutError,
)
from .proto import BadResponseHead, ResponseHandler

if TYPE_CHECKING:
    from .reqrep import ClientRequest
    from .timeouts import ClientTimeout

__all__ = ("ProxyInfo", "basicauth_from_netrc", "get_env_proxy_for_url", "netrc_from_env")


class ProxyInfo(NamedTuple):
    """A proxy URL (without credentials) and its credentials."""

    proxy: URL
    proxy_auth: BasicAuth | None


def _authority(host: str, port: int | None) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


async def open_tunnel(
    loop: asyncio.AbstractEventLoop,
    req: ClientRequest,
    protocol: ResponseHandler,
    sslcontext: ssl.SSLContext | None,
    timeout: ClientTimeout,
) -> asyncio.Transport:
    """Ask the proxy behind ``protocol`` to ``CONNECT`` to ``req``'s host, then start TLS.

    Raises :class:`~heron.ClientHttpProxyError` when the proxy answers other than 2xx.
    """
    from .reqrep import RequestInfo

    assert req.proxy is not None and protocol.transport is not None
    host = req.url.raw_host or ""
    authority = _authority(host, req.port)
    headers: CIMultiDict[str] = CIMultiDict({hdrs.HOST: authority})
    if req.proxy_headers:
        headers.extend(req.proxy_headers)
    if req.proxy_auth is not None:
        headers[hdrs.PROXY_AUTHORIZATION] = req.proxy_auth.encode()
    protocol.set_response_params(read_until_eof=False, sock_read=timeout.sock_read)
    waiter = protocol.start_response(hdrs.METH_CONNECT)
    protocol.transport.write(
        serialize_request_head(hdrs.METH_CONNECT, authority, HttpVersion11, headers.items())
    )
    info = RequestInfo(req.proxy, hdrs.METH_CONNECT, CIMultiDictProxy(headers))
    try:
        message, _ = await waiter
    except BadResponseHead as exc:
        raise ClientHttpProxyError(
            info, (), status=exc.error.code, message=exc.error.message
        ) from exc.error
    if not 200 <= message.code < 300:
        protocol.close()
        raise ClientHttpProxyError(
            info, (), status=message.code, message=message.reason, headers=message.headers
        )
    transport = protocol.transport
    assert transport is not None and sslcontext is not None
    try:
        async with asyncio.timeout(timeout.sock_connect or None):
            tls = await loop.start_tls(
                transport, protocol, sslcontext, server_hostname=req.server_hostname or host
            )
    except TimeoutError as exc:
        raise ConnectionTimeoutError(f"TLS handshake timeout with {req.url}") from exc
    except ssl.CertificateError as exc:
        raise ClientConnectorCertificateError(req.connection_key, exc) from exc
    except ssl.SSLError as exc:
        raise ClientConnectorSSLError(req.connection_key, exc) from exc
    assert tls is not None
    return tls


def netrc_from_env() -> netrc.netrc | None:
    """The ``.netrc`` named by ``$NETRC`` or in the home directory, or None."""
    path_str = os.environ.get("NETRC")
    if path_str:
        path = Path(path_str)
    else:
        try:
            path = Path.home() / ".netrc"
        except RuntimeError:  # no home directory
            return None
    try:
        return netrc.netrc(str(path))
    except (FileNotFoundError, netrc.NetrcParseError, OSError):
        return None


def basicauth_from_netrc(netrc_obj: netrc.netrc | None, host: str) -> BasicAuth | None:
    """Credentials for ``host`` (or the default entry) in ``netrc_obj``."""
    if netrc_obj is None:
        return None
    entry = netrc_obj.authenticators(host)
    if entry is None:
        return None
    login, account, password = entry
    username = login if (login or account is None) else account
    return BasicAuth(username or "", password or "")


def get_env_proxy_for_url(url: URL) -> ProxyInfo:
    """The proxy that ``HTTP_PROXY``/``HTTPS_PROXY``/... name for ``url``.

    Raises :class:`LookupError` when ``NO_PROXY`` excludes the host or no proxy is set
    for the scheme. Credentials come from the proxy URL, else from ``.netrc``.
    """
    # urllib.request is imported here, not with heron: it pulls in http.client and the
    # email package (~8 ms), and only trust_env sessions ever get here.
    import urllib.request

    bypass = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]
    if url.host is not None and bypass(url.host):
        raise LookupError(f"Proxying is disallowed for {url.host!r}")
    proxies = urllib.request.getproxies_environment()
    value = proxies.get(url.scheme)
    if value is None and url.scheme in ("ws", "wss"):
        value = proxies.get("http" if url.scheme == "ws" else "https")
    if not value:
        raise LookupError(f"No proxies found for {url!s} in the env")
    proxy = URL(value)
    if proxy.scheme not in ("http", "https"):
        raise LookupError(f"Unsupported proxy scheme {proxy.scheme!r}")
    auth = BasicAuth.from_url(proxy)
    if auth is not None:
        proxy = proxy.with_user(None)
    elif proxy.host:
        auth = basicauth_from_netrc(netrc_from_env(), proxy.host)
    return ProxyInfo(proxy, auth)
