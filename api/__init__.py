"""The HTTP API: it only translates HTTP into commands and queries."""
