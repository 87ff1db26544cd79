"""SQL databases: connections, dialects, waiting for new rows."""
