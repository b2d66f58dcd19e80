"""The spec: what a report is audited against (file format in `schema`, loading in `load`)."""
