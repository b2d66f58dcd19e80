"""The pre-commit hook (.pre-commit-hooks.yaml) on a temporary git repository with a bad and a good report.

Two ways: `pre-commit try-repo` on this repository, which builds the hook's own environment by
installing the project with pip exactly as a user's pre-commit would (slow the first time, ~40 s,
and needs the package index that `pip install .` needs); and the hook's `entry` run as
.pre-commit-hooks.yaml states it, with the file names pre-commit would pass (fast).
"""

from __future__ import annotations

import importlib.util
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "reports" / "qwen3-235b"
# Hand arithmetic, seed spec, scenario "original" (TP 2 x PP 4): 235.09e9 x 1 B / 8 = 29.39 GB; 64 / 2 = 32 heads.
GOOD = "# Original deployment\n\n- Model weights per GPU: 29.4 GB\n- 32 heads per GPU\n"

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
needs_pre_commit = pytest.mark.skipif(importlib.util.find_spec("pre_commit") is None,
                                      reason="pre-commit is not installed (pip install '.[test]')")


def hook() -> dict:
    (entry,) = [h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
                if h["id"] == "audit"]
    return entry


@pytest.fixture
def repo(tmp_path) -> Path:
    """A git repository: bad.md (the seed report), good.md, the spec, and .audit.yaml naming it."""
    work = tmp_path / "docs-repo"
    work.mkdir()
    shutil.copy(SEED / "report.md", work / "bad.md")
    shutil.copy(SEED / "qwen3.yaml", work / "qwen3.yaml")
    (work / "good.md").write_text(GOOD, encoding="utf-8")
    (work / ".audit.yaml").write_text("spec: qwen3.yaml\n", encoding="utf-8")
    if shutil.which("git"):
        git(work, "init", "--quiet", ".")
        git(work, "add", "--all")  # pre-commit looks at files git knows
    return work


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=_env(cwd.parent))


def _env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GIT_")) and k != "CI"}
    env |= {"PRE_COMMIT_HOME": str(tmp / "pre-commit-home"), "GIT_AUTHOR_NAME": "test",
            "GIT_AUTHOR_EMAIL": "test@example.com", "GIT_COMMITTER_NAME": "test",
            "GIT_COMMITTER_EMAIL": "test@example.com"}
    return env


def test_the_hook_is_declared_for_markdown_in_python():
    h = hook()
    assert (h["language"], h["types"], shlex.split(h["entry"])) == ("python", ["markdown"],
                                                                     ["audit", "check", "--format", "text"])


@needs_git
@pytest.mark.parametrize("files, status", [
    (["bad.md", "good.md"], 1),
    (["good.md"], 0),
    (["good.md", "bad.md"], 1),
])
def test_the_hook_entry_fails_on_the_bad_report_and_passes_the_good(repo, files, status):
    """The entry exactly as .pre-commit-hooks.yaml states it, then its args, then the staged file names."""
    h = hook()
    command = shlex.split(h["entry"]) + list(h.get("args", [])) + files
    executable = Path(sys.executable).with_name(command[0])
    if not executable.exists():
        executable = shutil.which(command[0])
    if executable is None:
        pytest.skip("the `audit` console script is not installed")
    p = subprocess.run([str(executable), *command[1:]], cwd=repo, capture_output=True, text=True, timeout=120,
                       env=_env(repo.parent))
    assert p.returncode == status, p.stderr
    assert ("bad.md:42:" in p.stdout) == ("bad.md" in files)  # a line per finding, as a linter prints them
    assert "good.md:" not in p.stdout  # the good report has no finding
    assert "# Audit of" not in p.stdout  # no Markdown verdicts in a hook's output
    assert len(p.stdout.splitlines()) < 60


@needs_git
@needs_pre_commit
def test_pre_commit_try_repo_fails_then_passes(repo):
    """SLOW (first run builds the hook environment from this repository with pip, ~40 s)."""
    if not (ROOT / ".git").exists():
        pytest.skip(f"{ROOT} is not a git checkout; try-repo needs one")

    def try_repo(*files: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "audit", "--files", *files],
                              cwd=repo, capture_output=True, text=True, timeout=900, env=_env(repo.parent))

    failed = try_repo("bad.md", "good.md")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "audit..." in failed.stdout and "Failed" in failed.stdout
    assert "bad.md:42:" in failed.stdout and "MEM001 error" in failed.stdout and "# Audit of" not in failed.stdout
    passed = try_repo("good.md")  # the environment is built now
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout
