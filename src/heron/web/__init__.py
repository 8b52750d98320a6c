"""heron.web: the HTTP server, with aiohttp.web's public API."""

__all__: tuple[str, ...] = ()
