"""Fixtures for the client tests (defined in ``client_helpers``)."""

from client_helpers import aio_server, echo_url, forward_proxy, raw_server

__all__ = ("aio_server", "echo_url", "forward_proxy", "raw_server")
