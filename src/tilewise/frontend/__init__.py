"""Importers and exporters: files to and from tilewise graphs."""
