"""The compiled model and the one thread setting."""
