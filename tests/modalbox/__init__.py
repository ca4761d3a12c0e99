"""A local Modal control plane for tests: the real modal client talks to it over gRPC."""
