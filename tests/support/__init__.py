"""Test helpers shared by tests and benchmarks (local stand-ins for AWS services)."""
