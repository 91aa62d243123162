"""Scale and speed benchmarks of Outreach Graph: `python -m benchmarks --help` (see benchmarks/README.md)."""
