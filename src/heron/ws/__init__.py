"""Sans-IO WebSocket (RFC 6455, RFC 7692): frames in, messages out; no asyncio."""

__all__: tuple[str, ...] = ()
