"""The real-world fidelity bench (``python -m bench.fidelity``)."""
