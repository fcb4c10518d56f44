"""Bundled default dataset (Parquet tables, manifest and attribution), built by scripts/build_bundle.py."""
