"""Security layers: transport, headers, request bodies, authentication, rate limiting."""
