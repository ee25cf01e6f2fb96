"""The habits that keep the house in order: the pre-commit hooks strip notebook outputs (keeping what
Papermill and the renderer need) and catch a secret before it is committed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv"

pytestmark = pytest.mark.skipif(
    not (VENV / "bin" / "pre-commit").exists(), reason="pre-commit is not installed in .venv (make setup)"
)


def _repo(tmp_path: Path) -> Path:
    """A scratch git repository with the project's pre-commit configuration and its .venv."""
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copy(ROOT / ".pre-commit-config.yaml", repo)
    shutil.copy(ROOT / ".secrets.baseline", repo)
    (repo / ".venv").symlink_to(VENV)
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
    }
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True, env=env)
    return repo


def _run_hooks(repo: Path, *files: str) -> subprocess.CompletedProcess:
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    env = {**os.environ, "PRE_COMMIT_HOME": str(repo.parent / "pre-commit-home")}
    return subprocess.run(
        [str(VENV / "bin" / "pre-commit"), "run", "--files", *files],
        cwd=repo,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_a_notebook_saved_with_outputs_is_stripped_but_keeps_its_kernelspec_parameters_tag_and_metadata(tmp_path):
    repo = _repo(tmp_path)
    nb = nbformat.read(ROOT / "notebooks" / "summary.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.execution_count = 3
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="Manchester 1,280\n")]
    nbformat.write(nb, repo / "summary.ipynb")
    done = _run_hooks(repo, "summary.ipynb")
    assert done.returncode == 1 and "nbstripout" in done.stdout  # it changed the file, so the commit stops
    kept = json.loads((repo / "summary.ipynb").read_text())
    code = [c for c in kept["cells"] if c["cell_type"] == "code"]
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code)
    assert kept["metadata"]["kernelspec"]["name"] == "csdemand"
    assert "parameters" in code[0]["metadata"]["tags"]
    original = json.loads((ROOT / "notebooks" / "summary.ipynb").read_text())
    assert kept["metadata"].get("csdemand") == original["metadata"].get("csdemand")
    assert [c["id"] for c in kept["cells"]] == [c["id"] for c in original["cells"]]  # cell ids kept: small diffs


def test_a_database_password_in_a_new_file_is_caught(tmp_path):
    repo = _repo(tmp_path)
    word = "Zq8-real-" + "Pa55word-9x"  # built in parts: this file holds no credential  # pragma: allowlist secret
    (repo / "settings.py").write_text(f'DB = "postgresql+psycopg://analyst:{word}@dbhost/csc"\n', encoding="utf-8")
    done = _run_hooks(repo, "settings.py")
    assert done.returncode == 1 and "Potential secrets" in done.stdout + done.stderr
