"""Infrastructure: the event store, command handlers, flows and configuration."""
