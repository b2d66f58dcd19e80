"""audit: verify the performance figures in Markdown reports on LLM deployments.

    import audit
    result = audit.check("plan.md", "specs/qwen3.yaml")   # audit.Result: claims, findings, status, summary
    fixed = audit.fix("plan.md", "specs/qwen3.yaml")      # audit.Fixed: the corrected text, its diff, its audit

The API is `audit.api`; it is imported on first use, so that `audit check` starts without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"
__all__ = ["AuditError", "Fixed", "Result", "check", "fix"]

if TYPE_CHECKING:
    from audit.api import Fixed, Result, check, fix
    from audit.errors import AuditError


def __getattr__(name: str) -> Any:
    if name in ("check", "fix", "Result", "Fixed"):
        from audit import api

        return getattr(api, name)
    if name == "AuditError":
        from audit.errors import AuditError

        return AuditError
    raise AttributeError(f"module 'audit' has no attribute {name!r}")
