"""Static checks of the Helm chart and Dockerfile; no cluster, helm or docker needed."""

import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "authsvc"
TEMPLATES = CHART / "templates"
DOCKERFILE = ROOT / "Dockerfile"

# A template action, `{{ ... }}`, possibly spanning lines (comments do).
ACTION = re.compile(r"\{\{.*?\}\}", re.DOTALL)
# `.Values.a.b` also matches inside `$.Values.a.b` and `$root.Values.a.b`.
VALUES_PATH = re.compile(r"\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")
HOOK_WEIGHT = re.compile(r"""helm\.sh/hook-weight:\s*"?(-?\d+)"?""")


def load_values() -> dict:
    return yaml.safe_load((CHART / "values.yaml").read_text())


def is_defined(values: dict, dotted: str) -> bool:
    """Whether every key of the dotted path exists, walking nested mappings."""
    node = values
    for key in dotted.split("."):
        if not isinstance(node, dict) or key not in node:
            return False
        node = node[key]
    return True


def template_values_paths() -> dict[str, set[str]]:
    """Map each `.Values` path used in a template action to the files that use it."""
    paths: dict[str, set[str]] = {}
    for template in sorted(TEMPLATES.rglob("*")):
        if not template.is_file():
            continue
        for action in ACTION.findall(template.read_text()):
            for match in VALUES_PATH.finditer(action):
                paths.setdefault(match.group(1).lstrip("."), set()).add(template.name)
    return paths


def unknown_keys(overrides: dict, defaults: dict, prefix: str = "") -> list[str]:
    """Keys set in `overrides` that `defaults` does not define.

    Keys below an empty mapping in the defaults (podAnnotations, config.extra)
    are free-form and accepted.
    """
    unknown = []
    for key, value in overrides.items():
        path = f"{prefix}{key}"
        if key not in defaults:
            unknown.append(path)
        elif isinstance(value, dict) and isinstance(defaults[key], dict) and defaults[key]:
            unknown.extend(unknown_keys(value, defaults[key], f"{path}."))
    return unknown


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    lines = [
        line for line in DOCKERFILE.read_text().splitlines() if not line.lstrip().startswith("#")
    ]
    joined = re.sub(r"\\\s*\n", " ", "\n".join(lines))
    instructions = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, arguments = line.strip().partition(" ")
            instructions.append((keyword.upper(), arguments.strip()))
    return instructions


def arguments_of(keyword: str, instructions: list[tuple[str, str]]) -> list[str]:
    return [arguments for name, arguments in instructions if name == keyword]


def test_every_values_path_used_in_a_template_is_defined_in_values_yaml():
    """A typo in `.Values.x.y` renders as empty instead of failing, so catch it here."""
    paths = template_values_paths()
    assert len(paths) > 20, "the scan found suspiciously few .Values references"

    values = load_values()
    missing = {path: sorted(files) for path, files in paths.items() if not is_defined(values, path)}
    assert missing == {}


def test_ci_values_files_only_set_keys_that_values_yaml_defines():
    """The chart-testing values files must not silently set keys the chart ignores."""
    values = load_values()
    ci_files = sorted((CHART / "ci").glob("*-values.yaml"))
    assert ci_files

    unknown = {
        path.name: unknown_keys(yaml.safe_load(path.read_text()), values) for path in ci_files
    }
    assert unknown == {path.name: [] for path in ci_files}


def test_yamllint_passes_on_the_chart_and_its_own_config():
    """Chart.yaml, values files and .yamllint.yaml lint clean, warnings included."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "yamllint",
            "--strict",
            "--format",
            "parsable",
            "-c",
            ".yamllint.yaml",
            "helm/",
            ".yamllint.yaml",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_migration_job_is_a_pre_install_and_pre_upgrade_hook_running_authsvc_init():
    job = (TEMPLATES / "migration-job.yaml").read_text()
    assert "helm.sh/hook: pre-install,pre-upgrade" in job
    assert '["authsvc", "init"]' in job


def test_secret_read_by_the_migration_hook_is_created_before_the_job():
    """The release Secret does not exist at pre-install, so the Job reads a hook copy made first."""
    secret = (TEMPLATES / "migration-secret.yaml").read_text()
    job = (TEMPLATES / "migration-job.yaml").read_text()

    assert "helm.sh/hook: pre-install,pre-upgrade" in secret
    assert "before-hook-creation" in secret
    assert int(HOOK_WEIGHT.search(secret).group(1)) < int(HOOK_WEIGHT.search(job).group(1))
    assert "authsvc.migrationSecretName" in job


def test_dockerfile_builds_in_more_than_one_stage():
    assert len(arguments_of("FROM", dockerfile_instructions())) > 1


def test_dockerfile_final_stage_runs_as_a_non_root_user():
    instructions = dockerfile_instructions()
    last_from = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    users = arguments_of("USER", instructions[last_from:])

    assert users, "the final stage sets no USER, so it runs as root"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}


def test_dockerfile_healthcheck_probes_healthz():
    checks = arguments_of("HEALTHCHECK", dockerfile_instructions())
    assert checks
    assert "/healthz" in checks[-1]


PORT_NAME = re.compile(r"^\s*-?\s*name:\s*(\w+)\s*\n\s*containerPort:", re.MULTILINE)
REFERENCED_PORT = re.compile(r"^\s*-?\s*(?:port|targetPort):\s*([a-z]\w*)\s*$", re.MULTILINE)


def container_port_names(template: str) -> set[str]:
    return set(PORT_NAME.findall((TEMPLATES / template).read_text()))


def referenced_port_names(template: str) -> set[str]:
    return set(REFERENCED_PORT.findall((TEMPLATES / template).read_text()))


def test_the_worker_deployment_is_on_by_default_so_the_web_pods_only_serve():
    values = load_values()
    assert values["worker"]["enabled"] is True and values["config"]["embeddedWorker"] is None
    assert "{{- not .Values.worker.enabled }}" in (TEMPLATES / "_helpers.tpl").read_text()


def test_each_tier_has_a_disruption_budget_selecting_its_own_pods():
    values, pdb = load_values(), (TEMPLATES / "pdb.yaml").read_text()
    for tier, deployment in (("web", "deployment.yaml"), ("worker", "worker-deployment.yaml")):
        assert values[tier]["podDisruptionBudget"] == {"enabled": True, "maxUnavailable": 1}
        assert f"app.kubernetes.io/component: {tier}" in (TEMPLATES / deployment).read_text()
    assert 'list "web" "worker"' in pdb
    assert "app.kubernetes.io/component: {{ $tier }}" in pdb
    assert "kind: PodDisruptionBudget" in pdb and "apiVersion: policy/v1" in pdb


def test_the_network_policy_and_monitors_name_ports_the_pods_declare():
    """A port named in a policy or monitor that no container declares matches nothing."""
    web, worker = (
        container_port_names("deployment.yaml"),
        container_port_names("worker-deployment.yaml"),
    )
    assert web == {"http", "metrics"} and worker == {"metrics"}
    assert referenced_port_names("networkpolicy.yaml") == {"http", "metrics"}
    assert referenced_port_names("service.yaml") <= web
    service_ports = set(re.findall(r"- name: (\w+)", (TEMPLATES / "service.yaml").read_text()))
    assert referenced_port_names("servicemonitor.yaml") <= service_ports & worker
    assert load_values()["networkPolicy"]["enabled"] is True


def test_the_metrics_ports_reach_the_processes_through_their_settings():
    helpers = (TEMPLATES / "_helpers.tpl").read_text()
    assert "AUTHSVC_METRICS_PORT: {{ .Values.metrics.port | quote }}" in helpers
    assert "AUTHSVC_WORKER_METRICS_PORT: {{ .Values.metrics.workerPort | quote }}" in helpers
    assert (
        "containerPort: {{ .Values.metrics.port }}" in (TEMPLATES / "deployment.yaml").read_text()
    )
    worker = (TEMPLATES / "worker-deployment.yaml").read_text()
    assert "containerPort: {{ .Values.metrics.workerPort }}" in worker


def test_resources_request_a_core_per_busy_process():
    """docs/sizing.md: each gunicorn worker, and the worker process, keeps a core busy."""
    values = load_values()
    web_cpu = float(values["web"]["resources"]["requests"]["cpu"])
    assert web_cpu >= values["web"]["workers"]
    assert float(values["worker"]["resources"]["requests"]["cpu"]) >= 1
    for tier in ("web", "worker"):
        assert "memory" in values[tier]["resources"]["limits"]
