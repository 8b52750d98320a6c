"""heron's HTTP client: sessions, connectors, requests and responses."""

__all__: tuple[str, ...] = ()
