"""``flowctl publish``, ``status``, ``rollback`` and ``revisions`` as a user runs them, against
the real app (through ``httpx.ASGITransport``, on SQLite and PostgreSQL) and, once, against a
real ``flowctl serve`` process on 127.0.0.1."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from flowctl.cli.app import app
from flowctl.client import ClientError, LintProblem, RuntimeClient, workflow
from flowctl.client.targets import local_data_dirs, read_local_token, resolve_target
from flowctl.errors import ConfigError
from flowctl.loader.project import display_path, load_project
from flowctl.model.project import ProjectConfig

from .conftest import ADMIN, EXAMPLE, Runtime, edit

REPO = EXAMPLE.parent
PUBLISH = "POST /v1/projects/acme-cloud/revisions"
PLAN = PUBLISH + "?dry_run=true"
FLOWS = ["booking", "feedback", "lead-qualification", "onboarding", "support-triage"]


def cli(*args: str | Path) -> tuple[int, str, str]:
    """Run ``flowctl ARGS`` in-process: (exit code, stdout, stderr); never a traceback."""
    result = CliRunner().invoke(app, [str(a) for a in args])
    stderr = result.stderr or ""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"flowctl {args} raised {result.exception!r}\n{result.output}"
                             f"\n{stderr}") from result.exception
    assert "Traceback" not in result.stdout + stderr
    return result.exit_code, result.stdout, stderr


def head_commit() -> str:
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True,
                          text=True, check=True).stdout.strip()


# -- the whole story, on SQLite and PostgreSQL ----------------------------------------------------


def test_publish_status_rollback_revisions(runtime: Runtime, project_copy: Path) -> None:
    # nothing published yet: status says so and lists every local flow as only local
    code, out, _ = cli("status", EXAMPLE)
    assert code == 0, out
    assert "deployed: nothing is published yet" in out
    assert all(f"only local     {flow}" in out for flow in FLOWS), out

    # the example project becomes revision 1, its source the repository's HEAD
    runtime.requests.clear()
    code, out, err = cli("publish", EXAMPLE, "-m", "first")
    assert code == 0, out + err
    assert "lint: 5 flows, no errors" in out
    assert "visitors passed" in out
    assert "plan for acme-cloud on local (http://127.0.0.1:8787): revision 1" in out
    assert all(f"added    {flow}" in out for flow in FLOWS)
    assert "published revision 1: sha256:" in out
    assert runtime.requests == [PLAN, PUBLISH]

    # the same files again: nothing to publish, nothing stored (only the plan was asked for)
    runtime.requests.clear()
    code, out, err = cli("publish", EXAMPLE)
    assert code == 0, out + err
    assert "nothing to publish: revision 1 is already active" in out
    assert runtime.requests == [PLAN]

    # a changed flow in a copy: the plan names it, a dry run stores nothing
    edit(project_copy / "feedback.flow.yaml", "note: Only detractors", "note: Still only detractors")
    runtime.requests.clear()
    code, out, err = cli("publish", project_copy, "--dry-run")
    assert code == 0, out + err
    assert "plan for acme-cloud on local (http://127.0.0.1:8787): revision 2" in out
    assert "changed  feedback" in out
    assert "added" not in out and "removed" not in out
    assert "dry run: nothing was published" in out
    assert runtime.requests == [PLAN]

    code, out, err = cli("publish", project_copy, "-m", "second", "--no-tests")
    assert code == 0, out + err
    assert "simulate: skipped (--no-tests)" in out
    assert "published revision 2: sha256:" in out

    # the example's flows now differ from what is deployed: feedback changed
    code, out, err = cli("status", EXAMPLE)
    assert code == 0, out + err
    assert "deployed: revision 2 (sha256:" in out
    assert "message: second" in out
    assert "local:    differs from the deployed revision" in out
    assert "changed        feedback" in out
    code, out, _ = cli("status", EXAMPLE, "--format", "json")
    status = json.loads(out)
    assert status["drift"] == {"changed": ["feedback"], "only_local": [], "only_deployed": [],
                               "other_files": False}
    assert status["in_sync"] is False
    assert status["deployed"]["active_revision"] == 2
    assert status["deployed"]["source"] == {}  # the copy is in no git repository
    assert "token" not in out

    # back to revision 1: the example is in sync again
    code, out, err = cli("rollback", "--to", "1", EXAMPLE)
    assert code == 0, out + err
    assert "revision 1 is active (was 2)" in out
    code, out, _ = cli("status", EXAMPLE)
    assert "deployed: revision 1" in out
    assert f"commit:  {head_commit()}" in out
    assert "local:    same as the deployed revision (5 flows)" in out

    # both revisions, newest first, the active one marked
    code, out, err = cli("revisions", EXAMPLE)
    assert code == 0, out + err
    lines = out.splitlines()
    assert lines[0] == "acme-cloud on local (http://127.0.0.1:8787) (* active)"
    assert lines[1].split() == ["REV", "PUBLISHED", "HASH", "COMMIT", "FLOWS", "MESSAGE"]
    assert lines[2].split()[0] == "2" and lines[2].endswith("second")
    assert lines[3].split()[:2] == ["*", "1"] and lines[3].endswith("first")
    assert head_commit()[:10] in lines[3]
    code, out, _ = cli("revisions", EXAMPLE, "--format", "json")
    listed = json.loads(out)
    assert listed["active_revision"] == 1
    assert [r["revision"] for r in listed["revisions"]] == [2, 1]
    assert listed["revisions"][1]["source"] == {"commit": head_commit()}
    assert listed["target"] == {"name": "local", "url": "http://127.0.0.1:8787"}


def test_a_change_outside_the_flows(sqlite_runtime: Runtime, project_copy: Path) -> None:
    """A knowledge article changed: a new revision with no flow changes, and status says so."""
    assert cli("publish", EXAMPLE, "--no-tests")[0] == 0
    edit(project_copy / "knowledge" / "billing-refunds.md", "# Cancel a subscription",
         "# Cancel your subscription")
    code, out, err = cli("publish", project_copy, "--no-tests", "--dry-run")
    assert code == 0, out + err
    assert "revision 2" in out
    assert "no flow changes (flowctl.yaml or knowledge articles changed)" in out
    code, out, _ = cli("status", project_copy)
    assert "local:    differs from the deployed revision" in out
    assert "no flow differs: flowctl.yaml or the knowledge articles do" in out


# -- the gates ------------------------------------------------------------------------------------


def test_lint_error_stops_before_any_request(sqlite_runtime: Runtime, project_copy: Path) -> None:
    edit(project_copy / "feedback.flow.yaml", "next: ask_problem", "next: ask_problme")
    code, out, err = cli("publish", project_copy)
    assert code == 1
    assert "feedback.flow.yaml:45:15: error[G002]" in out
    assert "the lint gate failed" in err
    assert sqlite_runtime.requests == []

    code, out, _ = cli("publish", project_copy, "--format", "json")
    assert code == 1
    document = json.loads(out)
    assert document["failed"] == "lint"
    assert document["lint"]["report"]["problems"][0]["code"] == "G002"
    assert sqlite_runtime.requests == []


@pytest.mark.parametrize("how", ["failing", "broken"])
def test_visitors_gate(sqlite_runtime: Runtime, project_copy: Path, how: str) -> None:
    visitors = project_copy / "feedback.visitors.yaml"
    if how == "failing":  # a visitor whose expectation no longer holds
        edit(visitors, "bot: Sorry to hear that. What went wrong?", "bot: Sorry to hear that!")
    else:  # not YAML at all
        visitors.write_text("flow: feedback\nvisitors: [\n", encoding="utf-8")
    code, out, err = cli("publish", project_copy)
    assert code == 1, out + err
    assert "the simulate gate failed" in err
    assert ("✗" in out and "failed" in out) if how == "failing" else "feedback.visitors.yaml:" in out
    assert sqlite_runtime.requests == []

    # visitors files are not published: --no-tests skips them, and the flows go out
    code, out, err = cli("publish", project_copy, "--no-tests")
    assert code == 0, out + err
    assert "published revision 1" in out


def test_the_servers_lint_refusal_is_a_failed_gate(offline: None, project_copy: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A runtime of another version may find more: its 422 prints like `flowctl lint`, at the
    local path, and exits 1."""
    problem = {"file": "feedback.flow.yaml", "line": 22, "column": 5, "code": "X999",
               "rule": "newer-rule", "severity": "error", "message": "a rule of a newer flowctl",
               "hint": "upgrade flowctl"}

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(422, json={"error": {
            "code": "lint_failed", "message": "the bundle has lint errors; nothing was published",
            "lint": {"version": 1, "problems": [problem], "summary": {}}}})

    monkeypatch.setattr(workflow, "_transport_factory", lambda: httpx.MockTransport(answer))
    monkeypatch.setenv("FLOWCTL_TOKEN", ADMIN)
    code, out, err = cli("publish", project_copy, "--no-tests")
    assert code == 1
    shown = display_path(project_copy / "feedback.flow.yaml")
    assert f"{shown}:22:5: error[X999]: a rule of a newer flowctl" in out
    assert "22 |     note: Only detractors" in out  # the local source line, as lint shows it
    assert "hint: upgrade flowctl" in out
    assert "the runtime's lint refused the bundle" in err
    code, out, _ = cli("publish", project_copy, "--no-tests", "--format", "json")
    assert code == 1
    assert json.loads(out)["problems"][0]["code"] == "X999"


# -- transport and token errors: exit 2, a sentence, never the token -------------------------------


def test_wrong_token(sqlite_runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = "not-the-admin-token-4f1c2a"
    monkeypatch.setenv("FLOWCTL_TOKEN", wrong)
    for command in (["publish", EXAMPLE, "--no-tests"], ["status", EXAMPLE],
                    ["revisions", EXAMPLE], ["rollback", "--to", "1", EXAMPLE]):
        code, out, err = cli(*command)
        assert code == 2, (command, out, err)
        assert "refused the token (401 unauthorized)" in err
        assert "the token came from FLOWCTL_TOKEN" in err  # where it came from, not what it is
        assert wrong not in out + err and ADMIN not in out + err


def test_unreachable_target(offline: None, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"http://127.0.0.1:{_free_port()}"  # nobody listens there
    monkeypatch.setenv("FLOWCTL_TOKEN", "some-token-0123456789")
    started = time.monotonic()
    code, out, err = cli("publish", EXAMPLE, "--no-tests", "--target", url)
    assert code == 2
    assert f"cannot reach {url}" in err
    assert "is `flowctl serve` running there?" in err
    assert "some-token" not in out + err
    assert time.monotonic() - started < 15


def test_missing_token_variable_is_named(offline: None, project_copy: Path) -> None:
    edit(project_copy / "flowctl.yaml", "targets:\n",
         'targets:\n  production: {url: "https://flows.example.com", token: "${PROD_FLOWS_TOKEN}"}\n')
    code, _, err = cli("publish", project_copy, "--target", "production")
    assert code == 2
    assert "environment variable PROD_FLOWS_TOKEN, which is not set" in err
    code, _, err = cli("status", project_copy, "--target", "staging")
    assert code == 2
    assert "no target 'staging' in flowctl.yaml" in err
    assert "local, production" in err


def test_rollback_to_a_revision_that_does_not_exist(sqlite_runtime: Runtime) -> None:
    code, _, err = cli("rollback", "--to", "3", EXAMPLE)
    assert code == 2
    assert "project 'acme-cloud' has no revision 3" in err
    assert "nothing is published for it yet" in err


def test_publish_json(sqlite_runtime: Runtime) -> None:
    code, out, err = cli("publish", EXAMPLE, "--format", "json", "-m", "json")
    assert code == 0, err
    document = json.loads(out)
    assert document["failed"] is None
    assert document["plan"]["changes"]["added"] == FLOWS
    assert document["published"]["revision"] == 1 and document["published"]["created"] is True
    assert document["source"] == {"commit": head_commit()}
    assert document["simulate"]["failed"] == 0 and document["lint"]["errors"] == 0
    assert ADMIN not in out


# -- targets --------------------------------------------------------------------------------------


def _config(tmp_path: Path, targets: str, folder: str = "targets") -> ProjectConfig | None:
    root = tmp_path / folder
    root.mkdir()
    (root / "flowctl.yaml").write_text(f"project: demo\ntargets:\n{targets}", encoding="utf-8")
    project, _ = load_project([root], require_flows=False)
    return project.config


def test_target_resolution(tmp_path: Path) -> None:
    only = _config(tmp_path, '  prod: {url: "https://flows.example.com/", token: "${PROD}"}\n')
    target = resolve_target(only, None, env={"PROD": "secret-token-value-1"})
    assert (target.name, target.url, target.token) == ("prod", "https://flows.example.com",
                                                        "secret-token-value-1")
    assert "secret-token-value" not in repr(target) and "secret" not in str(target.to_json())
    with pytest.raises(ConfigError, match="environment variable PROD, which is not set"):
        resolve_target(only, None, env={})
    with pytest.raises(ConfigError, match="PROD, which is not set"):  # CI: a secret not defined
        resolve_target(only, "prod", env={"PROD": ""})

    several = _config(tmp_path, '  staging: {url: "https://staging.example.com"}\n'
                      '  local: {url: "http://localhost:9000"}\n', "several")
    assert resolve_target(several, None, env={"FLOWCTL_TOKEN": "t" * 20}).name == "local"
    staging = resolve_target(several, "staging", env={"FLOWCTL_TOKEN": "t" * 20})
    assert (staging.url, staging.token_source) == ("https://staging.example.com", "FLOWCTL_TOKEN")
    with pytest.raises(ConfigError, match="no admin token"):
        resolve_target(several, "staging", env={})

    default = resolve_target(None, None, env={"FLOWCTL_TOKEN": "t" * 20})
    assert (default.name, default.url) == (None, "http://127.0.0.1:8787")
    url = resolve_target(only, "https://other.example.com:8443", env={"FLOWCTL_TOKEN": "t" * 20})
    assert (url.name, url.url) == (None, "https://other.example.com:8443")
    with pytest.raises(ConfigError, match="not an http:// or https:// URL"):
        resolve_target(None, "ftp://example.com", env={"FLOWCTL_TOKEN": "x"})


def test_a_local_servers_token_file(tmp_path: Path) -> None:
    """The client reads the token where the server keeps it, for loopback URLs only."""
    from flowctl.server.auth import admin_token

    data = tmp_path / ".flowctl"
    token, _ = admin_token(data, None)
    dirs = local_data_dirs(None, env={}, cwd=tmp_path)
    assert read_local_token(dirs) == (token, data / "admin-token")
    local = resolve_target(None, "http://127.0.0.1:8787", env={}, data_dirs=dirs)
    assert local.token == token and "admin-token" in local.token_source
    # a local target whose ${FLOWCTL_TOKEN} is not set falls back to the file too
    config = _config(tmp_path, '  local: {url: "http://127.0.0.1:8787", token: "${FLOWCTL_TOKEN}"}\n')
    assert resolve_target(config, None, env={}, data_dirs=dirs).token == token
    with pytest.raises(ConfigError, match="no admin token"):  # never sent to another host
        resolve_target(None, "https://flows.example.com", env={}, data_dirs=dirs)
    assert local_data_dirs(None, env={"FLOWCTL_DATA_DIR": "srv"}, cwd=tmp_path)[0] == tmp_path / "srv"


# -- the client's errors ------------------------------------------------------------------------


def test_client_errors_are_sentences() -> None:
    import asyncio

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/nothing"):
            return httpx.Response(404, json={"error": {
                "code": "not_found", "message": "nothing is published for project 'nothing'"}})
        if request.url.path.endswith("/html"):
            return httpx.Response(200, text="<html>hello</html>")
        return httpx.Response(404, text="Not Found")

    async def attempt(project: str) -> ClientError:
        async with RuntimeClient("https://flows.example.com", "token-0123456789abcdef",
                                 transport=httpx.MockTransport(answer)) as client:
            try:
                await client.project(project)
            except ClientError as error:
                return error
        raise AssertionError("no error")

    error = asyncio.run(attempt("nothing"))
    assert (error.status, error.code) == (404, "not_found")
    assert error.message == ("https://flows.example.com answered 404: nothing is published for "
                             "project 'nothing'")
    error = asyncio.run(attempt("html"))
    assert "without a JSON object" in error.message
    error = asyncio.run(attempt("elsewhere"))
    assert "has no GET /v1/projects/elsewhere (404)" in error.message
    assert error.hint is not None and "flowctl runtime" in error.hint
    assert str(LintProblem.from_json({"file": "a.flow.yaml", "line": 3, "column": 7, "code": "G002",
                                      "severity": "error", "message": "unknown target"})) \
        == "a.flow.yaml:3:7: error[G002]: unknown target"


# -- the command line and the workflow -------------------------------------------------------------


def test_help_stays_fast() -> None:
    """`flowctl --help` imports neither httpx nor the client; each command has examples."""
    probe = ("import sys, flowctl.cli.app; print(sorted(m for m in sys.modules "
             "if m.startswith(('httpx', 'flowctl.client', 'flowctl.server'))))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.strip() == "[]"
    for command in ("publish", "status", "revisions", "rollback"):
        code, out, _ = cli(command, "--help")
        assert code == 0 and "Examples:" in out and "--target" in out


def test_the_workflow_publishes_after_the_gates() -> None:
    import yaml

    text = (REPO / ".github" / "workflows" / "flows.yml").read_text(encoding="utf-8")
    assert text == (REPO / "flowctl" / "templates" / "flows.yml").read_text(encoding="utf-8")
    job = yaml.safe_load(text)["jobs"]["publish"]
    assert job["needs"] == "lint"  # the lint job runs lint and the visitors
    assert "github.event_name == 'push'" in job["if"] and "default_branch" in job["if"]
    assert job["env"] == {"FLOWCTL_TOKEN": "${{ secrets.FLOWCTL_TOKEN }}"}
    runs = [step.get("run", "") for step in job["steps"]]
    assert "flowctl publish --target production" in runs


# -- a real flowctl serve ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_against_a_real_server_process(tmp_path: Path) -> None:
    """``flowctl serve`` on a free port of 127.0.0.1 (its token generated into ./.flowctl):
    publish through its URL with FLOWCTL_TOKEN, then status from the server's folder with the
    token found in .flowctl/admin-token.  Every wait is bounded."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("FLOWCTL_TOKEN", "FLOWCTL_ADMIN_TOKEN", "FLOWCTL_DB", "FLOWCTL_DATA_DIR")}
    env["FLOWCTL_LOG_LEVEL"] = "warning"
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen([sys.executable, "-m", "flowctl", "serve", "--port", str(port)],
                              cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    try:
        deadline = time.monotonic() + 20
        while True:
            assert server.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                if httpx.get(url + "/readyz", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "flowctl serve did not become ready in 20 s"
            time.sleep(0.05)
        token = (tmp_path / ".flowctl" / "admin-token").read_text(encoding="utf-8").strip()
        project = tmp_path / "project"
        shutil.copytree(EXAMPLE, project)

        def flowctl(*args: str, cwd: Path, **extra: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([sys.executable, "-m", "flowctl", *args], cwd=cwd,
                                  env={**env, **extra}, capture_output=True, text=True,
                                  timeout=60)

        done = flowctl("publish", str(project), "--target", url, cwd=REPO, FLOWCTL_TOKEN=token)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "published revision 1: sha256:" in done.stdout
        assert token not in done.stdout + done.stderr

        done = flowctl("status", str(project), "--target", url, cwd=tmp_path)  # the token file
        assert done.returncode == 0, done.stdout + done.stderr
        assert "deployed: revision 1" in done.stdout
        assert "same as the deployed revision" in done.stdout
        assert token not in done.stdout + done.stderr

        done = flowctl("status", str(project), "--target", url, cwd=REPO,
                       FLOWCTL_TOKEN="wrong-token-0123456789")
        assert done.returncode == 2
        assert "refused the token" in done.stderr and "Traceback" not in done.stderr
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        log.close()
