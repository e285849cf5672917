"""``flowctl diff`` on the command line: outputs, modes, exit codes and errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import PROJECT, SUPPORT_V1, SUPPORT_V2, git, write
from typer.testing import CliRunner

from flowctl.cli.app import app

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _plain_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")


def run(args: list[str], cwd: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(cwd)
    result = CliRunner().invoke(app, ["diff", *args], catch_exceptions=True)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


def test_text_output(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run(["v1", "v2"], repo, monkeypatch)
    assert result.exit_code == 0
    out = result.stdout
    assert out.startswith("flowctl diff v1 -> v2\n")
    assert "~ flow support  flows/support.flow.yaml\n" in out
    assert "+ flow feedback  flows/feedback.flow.yaml (added, 2 blocks)\n" in out
    assert "- flow legacy  flows/legacy.flow.yaml (removed, 1 block)\n" in out
    assert "    ~ priority: 5 -> 10  (line 5)\n" in out
    assert '        ~ choices[1].label: "Billing" -> "Billing & invoices"  (line 19)\n' in out
    assert "    ~ billing_desk (escalate), renamed from to_billing  flows/support.flow.yaml:39:5\n" in out
    assert "        ~ moved from position 3 to 7; now falls through to billing_desk (was survey)\n" in out
    assert "    + ask_email (question)  flows/support.flow.yaml:10:5\n" in out
    assert "    - old_tag (tag)  flows/support.flow.yaml:31:5\n" in out
    assert "    - tech_tips -fallthrough-> survey\n" in out
    assert "    + tech_tips -fallthrough-> billing_desk\n" in out
    assert out.endswith("2 flows changed, 1 flow added, 1 flow removed; blocks: 1 added, "
                        "1 removed, 4 changed; edges: 4 added, 3 removed\n")


def test_json_output(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run(["v1", "v2", "--format", "json"], repo, monkeypatch)
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert set(data) == {"version", "base", "head", "summary", "flows"}
    assert (data["version"], data["base"], data["head"]) == (1, "v1", "v2")
    assert [(f["flow"], f["status"]) for f in data["flows"]] == [
        ("faq", "changed"), ("feedback", "added"), ("legacy", "removed"), ("support", "changed")]
    for flow in data["flows"]:
        assert set(flow) == {"flow", "status", "before", "after", "fields", "start", "blocks",
                             "edges"}
        for block in flow["blocks"]:
            assert set(block) == {"id", "type", "status", "renamed_from", "before", "after",
                                  "fields", "moved"}


def test_markdown_output(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run(["v1", "v2", "--format", "markdown"], repo, monkeypatch)
    assert result.exit_code == 0
    out = result.stdout
    assert out.startswith("### flowctl diff: `v1` → `v2`\n")
    assert "| flow | change | blocks | edges | start condition |\n" in out
    assert "| `support` | changed | +1 −1 ~4 | +4 −3 | 2 changes |\n" in out
    assert "| `feedback` | added | +2 | +3 | – |\n" in out
    assert "| `legacy` | removed | −1 | −1 | – |\n" in out
    assert out.count("<details>") == 4 and out.count("</details>") == 4
    assert "<details><summary><b>support</b> (changed, <code>flows/support.flow.yaml</code>)" \
           "</summary>" in out
    assert "| `priority` | `5` | `10` |" in out
    assert '  | `cases[1].when` | `"visitor.returning"` | ' \
           '`"visitor.returning and visitor.visits > 3"` |' in out
    assert "- ✏️ `billing_desk` (escalate) changed, renamed from `to_billing`" in out
    assert "```diff\n- greet -fallthrough-> ask_topic\n" in out


def test_exit_code_and_no_changes(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(["v1", "v2", "--exit-code"], repo, monkeypatch).exit_code == 1
    same = run(["v2", "--exit-code"], repo, monkeypatch)  # v2 against the clean working tree
    assert same.exit_code == 0
    assert same.stdout == "flowctl diff v2 -> working tree\nNo changes to flows\n"
    markdown = run(["--format", "markdown"], repo, monkeypatch)
    assert markdown.stdout == "### flowctl diff: `HEAD` → `working tree`\n\nNo changes to flows.\n"


def test_working_tree_against_head(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(repo, {"flows/support.flow.yaml": SUPPORT_V2.replace("priority: 10", "priority: 11")})
    result = run(["--format", "json"], repo, monkeypatch)
    data = json.loads(result.stdout)
    assert (data["base"], data["head"]) == ("HEAD", "working tree")
    (flow,) = data["flows"]
    assert [(c["field"], c["before"], c["after"]) for c in flow["start"]] == [("priority", 10, 11)]
    # one revision: that revision against the working tree; run from a sub-folder too
    data = json.loads(run(["v1", "--format", "json"], repo / "flows", monkeypatch).stdout)
    support = next(f for f in data["flows"] if f["flow"] == "support")
    assert support["start"][1]["after"] == 11
    assert support["start"][1]["after_span"]["file"] == "support.flow.yaml"


def test_two_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"old/support.flow.yaml": SUPPORT_V1, "new/support.flow.yaml": SUPPORT_V2})
    result = run(["old/support.flow.yaml", "new/support.flow.yaml", "--format", "json"],
                 tmp_path, monkeypatch)
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert (data["base"], data["head"]) == ("old/support.flow.yaml", "new/support.flow.yaml")
    (flow,) = data["flows"]
    # the same name below each root: not a move
    assert "file" not in [field["field"] for field in flow["fields"]]
    assert flow["before"]["file"] == "old/support.flow.yaml"
    assert [b["id"] for b in flow["blocks"] if b["renamed_from"]] == ["billing_desk"]
    folders = run(["old", "new", "--exit-code"], tmp_path, monkeypatch)  # folders work too
    assert folders.exit_code == 1


def test_two_identical_files_are_no_change(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"old/support.flow.yaml": SUPPORT_V1, "new/support.flow.yaml": SUPPORT_V1})
    for args in (["old/support.flow.yaml", "new/support.flow.yaml"], ["old", "new"]):
        result = run([*args, "--exit-code"], tmp_path, monkeypatch)
        assert result.exit_code == 0, result.output
        assert "no changes" in result.stdout.lower()


def test_a_file_moved_between_folders_is_reported(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"old/support.flow.yaml": SUPPORT_V1, "new/help/support.flow.yaml": SUPPORT_V1})
    data = json.loads(run(["old", "new", "--format", "json"], tmp_path, monkeypatch).stdout)
    assert [(f["field"], f["before"], f["after"]) for f in data["flows"][0]["fields"]] == [
        ("file", "old/support.flow.yaml", "new/help/support.flow.yaml")]


def test_a_missing_second_file_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"a.flow.yaml": SUPPORT_V1})
    result = run(["a.flow.yaml", "missing.flow.yaml"], tmp_path, monkeypatch)
    assert result.exit_code == 2
    assert "no such file or directory: missing.flow.yaml" in result.output


def test_not_a_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    write(tmp_path, {"flowctl.yaml": "project: t\n", "a.flow.yaml": SUPPORT_V1})
    result = run([], tmp_path, monkeypatch)
    assert result.exit_code == 2
    assert "flowctl: error: not a git repository" in result.stderr
    assert "hint:" in result.stderr


def test_bad_revision(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run(["no-such-branch"], repo, monkeypatch)
    assert result.exit_code == 2
    assert "flowctl: error: unknown revision: no-such-branch" in result.stderr
    assert run(["v1", "nope"], repo, monkeypatch).exit_code == 2
    assert run(["--", "-x"], repo, monkeypatch).exit_code == 2


def test_missing_git(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(repo / "nowhere"))
    result = run([], repo, monkeypatch)
    assert result.exit_code == 2
    assert "git is not installed" in result.stderr


def test_unreadable_file_is_an_error_not_a_removed_flow(repo: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    (repo / "flows" / "support.flow.yaml").write_text("flow: support\n  title: [x\n",
                                                      encoding="utf-8")
    result = run(["--exit-code"], repo, monkeypatch)
    assert result.exit_code == 2
    assert "flows/support.flow.yaml:2:" in result.stderr and "(in working tree)" in result.stderr
    assert "flow support" not in result.stdout  # neither removed nor changed
    assert "some flow files could not be read" in result.stderr


def test_a_yaml_file_without_a_flow_id_is_an_error(repo: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    write(repo, {"flows/x.flow.yaml": "foo: bar\n"})
    result = run([], repo, monkeypatch)
    assert result.exit_code == 2
    assert "flows/x.flow.yaml:1:1: error: holds no flow" in result.stderr
    assert "+ flow " not in result.stdout


def test_ignored_files_are_not_part_of_the_working_tree(repo: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    write(repo, {".gitignore": "build/\n", "flows/build/copy.flow.yaml": SUPPORT_V1})
    git(repo, "add", ".gitignore")
    git(repo, "commit", "-q", "-m", "ignore build")
    result = run(["--exit-code"], repo, monkeypatch)
    assert result.exit_code == 0, result.output


def test_one_path_is_that_path_at_head_against_the_working_tree(
        repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = repo / "flows" / "support.flow.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("priority: 10", "priority: 11"),
                    encoding="utf-8")
    result = run(["flows/support.flow.yaml"], repo, monkeypatch)
    assert result.exit_code == 0, result.output
    assert "~ priority: 10 -> 11" in result.stdout
    assert "flows changed" not in result.stdout  # only that file: one flow


def test_empty_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    git(tmp_path, "init", "-q")
    write(tmp_path, {"flowctl.yaml": PROJECT, "flows/support.flow.yaml": SUPPORT_V1})
    result = run(["--exit-code"], tmp_path, monkeypatch)
    assert result.exit_code == 1, result.output
    assert "flowctl diff (no commits yet) -> working tree" in result.stdout
    assert "+ flow support" in result.stdout


@pytest.mark.parametrize("target", ["/dev/full", "."])
def test_output_that_cannot_be_written(repo: Path, monkeypatch: pytest.MonkeyPatch,
                                       target: str) -> None:
    result = run(["-o", target], repo, monkeypatch)
    assert result.exit_code == 2
    assert f"cannot write {target}" in result.output


def test_render_into_a_file_is_refused_before_reporting(repo: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    write(repo, {"taken": "x"})
    result = run(["v1", "v2", "--render", "taken"], repo, monkeypatch)
    assert result.exit_code == 2
    assert "--render taken: is a file, not a folder" in result.output
    assert "flowctl diff v1 -> v2" not in result.stdout


def test_render(repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    out = tmp_path / "diagrams"
    result = run(["v1", "v2", "--render", str(out)], repo, monkeypatch)
    assert result.exit_code == 0
    ext = ".svg" if shutil.which("dot") else ".dot"
    assert sorted(p.name for p in out.iterdir()) == [
        f"{name}{ext}" for name in ("faq.after", "faq.before", "feedback.after", "legacy.before",
                                    "support.after", "support.before")]


def test_render_highlights(repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import re

    from flowctl.diff.render import render_diff
    from flowctl.diff.semantic import diff_projects
    from flowctl.diff.sources import load_sides

    monkeypatch.chdir(repo)
    sides = load_sides("v1", "v2")
    diff = diff_projects(sides.before.flows, sides.after.flows)
    render_diff(diff, sides.before.flows, sides.after.flows, tmp_path, "dot")
    before = (tmp_path / "support.before.dot").read_text(encoding="utf-8")
    after = (tmp_path / "support.after.dot").read_text(encoding="utf-8")

    def node_colour(text: str, node: str) -> str:
        match = re.search(rf'^\s*"?{node}"? \[.*?(?<![a-z])color="([^"]+)"', text, re.M)
        assert match, node
        return match.group(1).upper()

    green, red, orange = "#2E7D32", "#C62828", "#EF6C00"
    assert node_colour(after, "ask_email") == green
    assert node_colour(after, "billing_desk") == orange  # renamed
    assert node_colour(after, "check_vip") == orange
    assert node_colour(before, "old_tag") == red
    assert node_colour(before, "to_billing") == orange
    assert node_colour(before, "greet") != red and node_colour(after, "greet") != green
    # the removed edge of the before diagram is red, the added edge of the after one green
    assert re.search(rf'"?tech_tips"? -> "?survey"? \[[^\]]*(?<![a-z])color="{red}"', before, re.I)
    assert re.search(rf'"?tech_tips"? -> "?billing_desk"? \[[^\]]*(?<![a-z])color="{green}"', after, re.I)
    # a rename says what the block was called; a changed case condition marks its edge
    assert "~ changed · renamed from to_billing" in after
    for text in (before, after):
        assert re.search(r'"?check_vip"? -> [^\[]*\[[^\]]*class="changed"', text), text
    # the choice relabelled, on both sides (its old and its new label)
    assert re.search(r'"?ask_topic"? -> "?to_billing"? \[[^\]]*class="changed"', before)
    assert re.search(r'"?ask_topic"? -> "?billing_desk"? \[[^\]]*class="changed"', after)


def test_workflow_posts_the_diff() -> None:
    workflow = (ROOT / ".github" / "workflows" / "flows.yml").read_text(encoding="utf-8")
    assert workflow == (ROOT / "flowctl" / "templates" / "flows.yml").read_text(encoding="utf-8")
    assert "flowctl diff origin/${{ github.base_ref }} --format markdown > diff.md" in workflow
    assert "fetch-depth: 0" in workflow and "pull-requests: write" in workflow


def test_a_file_with_schema_errors_is_diffed_with_a_note(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "old.flow.yaml").write_text(
        "flow: x\nblocks:\n  - id: a\n    type: mesage\n    text: hi\n", encoding="utf-8")
    (tmp_path / "new.flow.yaml").write_text(
        "flow: x\nblocks:\n  - id: a\n    type: message\n    text: hi\n", encoding="utf-8")
    result = run(["old.flow.yaml", "new.flow.yaml"], tmp_path, monkeypatch)
    assert result.exit_code == 0, result.output
    assert ("old.flow.yaml:4:11: warning: type: 'mesage' is not a block type in block 'a'; "
            "what could not be read is left out of the diff (in old.flow.yaml)") in result.output
    assert "+ a (message)" in result.output


def test_markdown_fits_in_a_pull_request_comment(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    def big(word: str) -> str:
        blocks = "".join(f"  - {{id: m{i}, type: message, text: '{word} {i} {'x' * 80}'}}\n"
                         for i in range(400))
        return f"flow: big\nblocks:\n{blocks}  - {{id: done, type: end}}\n"

    write(tmp_path, {"old/big.flow.yaml": big("hello"), "new/big.flow.yaml": big("Hello"),
                     "old/small.flow.yaml": SUPPORT_V1, "new/small.flow.yaml": SUPPORT_V2})
    out = run(["old", "new", "--format", "markdown"], tmp_path, monkeypatch).stdout
    assert len(out) <= 65_536
    assert "| `big` | changed | ~400 | – | – |" in out
    assert "Details of 1 more flow left out" in out or "Details of 2 more flows left out" in out
