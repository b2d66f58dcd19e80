"""Extract: a Markdown report becomes the figures it claims (`read` -> `segments` -> `claims`)."""

from audit.extract.claims import DEFAULT_MAX_FIGURES, extract
from audit.extract.read import DEFAULT_MAX_BYTES, read_report

__all__ = ["DEFAULT_MAX_BYTES", "DEFAULT_MAX_FIGURES", "extract", "read_report"]
