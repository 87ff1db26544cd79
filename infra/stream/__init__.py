"""The Kafka side: the relay, its positions, the envelope and the schemas integrators get."""
