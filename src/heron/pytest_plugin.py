"""heron's pytest plugin (fixtures arrive with the test-utilities work)."""
