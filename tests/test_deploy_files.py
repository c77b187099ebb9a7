"""CI, update-bot, container and Kubernetes files: each choice renders its own files and no
others, and every rendered file passes its schema or linter, offline.

Tools (all from PyPI, in the dev group): zizmor (GitHub Actions security audit),
check-jsonschema with its vendored schemas (GitHub workflows, GitLab CI, Dependabot, Renovate,
compose), kubernetes-validate --strict (Kubernetes API schemas), hadolint (Dockerfile),
shellcheck (deploy scripts) and caddy (the proxy configuration).
"""

from __future__ import annotations

import itertools
import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support import ROOT, clean_env, project_files, render, run, tool, uv_bin
from tests.variants import BASE_DATA, VARIANTS, Variant

Render = Callable[[Variant], Path]


def variants_where(**answers: Any) -> pytest.MarkDecorator:
    """Parametrize over the variants (tests/variants.py) that chose these answers."""
    chosen = [
        variant
        for variant in VARIANTS
        if all(variant.full_answers[name] == value for name, value in answers.items())
    ]
    return pytest.mark.parametrize("variant", chosen, ids=lambda v: v.id)


parametrize_variants = variants_where()

# A full commit SHA, then the release it is, in a comment: what Dependabot and Renovate keep.
PINNED_ACTION = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*$")
# Where the files of the questions below live; anything else is outside this test's remit.
DEPLOY_PREFIXES = (".github/", "deploy/")
DEPLOY_NAMES = frozenset(
    {".gitlab-ci.yml", "renovate.json", "Dockerfile", ".dockerignore", "compose.yaml"}
)
KUBERNETES = "deploy/kubernetes"


def scales(answers: dict[str, Any]) -> bool:
    """Several replicas are safe: shared rate-limit counters and a shared database."""
    return answers["rate_limit_backend"] == "redis" and answers["database"] == "postgresql"


def has_compose_secrets(answers: dict[str, Any]) -> bool:
    return (
        answers["auth"] == "jwt"
        or answers["metrics"]
        or answers["rate_limit_backend"] == "redis"
        or answers["database"] == "postgresql"
        or answers["tls"] == "uvicorn"
    )


def expected_deploy_files(answers: dict[str, Any]) -> set[str]:
    """The deployment files a set of answers must render, and only those."""
    files: set[str] = set()
    if answers["ci"] == "github":
        files |= {".github/workflows/ci.yml", ".github/workflows/template-update.yml"}
        if answers["docker"]:
            files.add(".github/workflows/docker.yml")
    if answers["ci"] == "gitlab":
        files.add(".gitlab-ci.yml")
    if answers["dependency_bot"] == "dependabot":
        files.add(".github/dependabot.yml")
    if answers["dependency_bot"] == "renovate":
        files.add("renovate.json")
    if answers["docker"]:
        files |= {"Dockerfile", ".dockerignore", "compose.yaml", "deploy/smoke-test.sh"}
        files.add("deploy/caddy/Caddyfile")
        if has_compose_secrets(answers):
            files.add("deploy/compose-secrets.sh")
        manifests = {"kustomization", "configmap", "deployment", "service", "hpa", "pdb"}
        manifests.add("migrate-job" if answers["database"] == "postgresql" else "data-volume")
        files |= {f"{KUBERNETES}/{name}.yaml" for name in manifests}
    return files


def deploy_files(root: Path) -> set[str]:
    relative = (path.relative_to(root).as_posix() for path in project_files(root))
    return {name for name in relative if name in DEPLOY_NAMES or name.startswith(DEPLOY_PREFIXES)}


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def check_jsonschema(schema: str, *files: Path) -> None:
    run([tool("check-jsonschema"), "--builtin-schema", schema, *files], files[0].parent)


# --- Each choice renders its files and nothing else ------------------------------------------

COMBINATIONS = list(
    itertools.product(("github", "gitlab", "none"), ("dependabot", "renovate", "none"), (1, 0))
)


@pytest.mark.parametrize(
    ("ci", "bot", "docker"),
    COMBINATIONS,
    ids=[f"{ci}-{bot}-{'docker' if docker else 'no-docker'}" for ci, bot, docker in COMBINATIONS],
)
def test_each_choice_renders_its_files_and_nothing_else(
    template_src: Path, tmp_path: Path, ci: str, bot: str, docker: int
) -> None:
    data = {**BASE_DATA, "ci": ci, "dependency_bot": bot, "docker": bool(docker)}
    root = render(template_src, tmp_path / "service", data)
    answers = Variant("combination", data).full_answers
    assert deploy_files(root) == expected_deploy_files(answers)
    # Executable scripts stay executable.
    for script in (root / "deploy").glob("*.sh") if docker else ():
        assert os.access(script, os.X_OK), script


@pytest.mark.variant
@parametrize_variants
def test_the_variant_renders_its_deploy_files(rendered: Render, variant: Variant) -> None:
    """The same rule for every variant (their auth, database and TLS choices included)."""
    root = rendered(variant)
    assert deploy_files(root) == expected_deploy_files(variant.full_answers)


# --- GitHub Actions and Dependabot -----------------------------------------------------------


def workflows(root: Path) -> list[Path]:
    return sorted((root / ".github" / "workflows").glob("*.yml"))


def zizmor_findings(path: Path) -> list[dict[str, Any]]:
    """zizmor's findings for a workflow folder, offline (no GitHub API), default persona."""
    result = run(
        [tool("zizmor"), "--offline", "--format", "json", path],
        path.parent,
        check=False,
    )
    assert result.stdout.strip(), result.stderr
    findings: list[dict[str, Any]] = json.loads(result.stdout)
    return findings


def action_references(path: Path) -> Iterator[str]:
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip().removeprefix("- ")
        if stripped.startswith("uses: "):
            yield stripped.removeprefix("uses: ")


@pytest.mark.variant
@variants_where(ci="github")
def test_github_workflows_pass_zizmor_and_their_schema(rendered: Render, variant: Variant) -> None:
    root = rendered(variant)
    found = workflows(root)
    assert zizmor_findings(root / ".github" / "workflows") == []
    check_jsonschema("vendor.github-workflows", *found)
    for workflow in found:
        document = load_yaml(workflow)
        # Least privilege: read-only contents at the top, no job asks for more.
        assert document["permissions"] == {"contents": "read"}, workflow.name
        for name, job in document["jobs"].items():
            assert job.get("permissions", {}) in ({}, {"contents": "read"}), name
        for reference in action_references(workflow):
            assert PINNED_ACTION.match(reference), f"{workflow.name}: {reference}"


def test_the_template_repository_workflow_passes_zizmor() -> None:
    workflow = ROOT / ".github" / "workflows" / "ci.yml"
    assert zizmor_findings(workflow.parent) == []
    check_jsonschema("vendor.github-workflows", workflow)
    for reference in action_references(workflow):
        assert PINNED_ACTION.match(reference), reference


def test_the_template_repository_keeps_its_own_tools_current() -> None:
    config = ROOT / ".github" / "dependabot.yml"
    check_jsonschema("vendor.dependabot", config)
    ecosystems = {update["package-ecosystem"] for update in load_yaml(config)["updates"]}
    assert ecosystems == {"uv", "github-actions"}


@pytest.mark.variant
@variants_where(dependency_bot="dependabot")
def test_dependabot_covers_python_actions_and_images(rendered: Render, variant: Variant) -> None:
    root = rendered(variant)
    config = root / ".github" / "dependabot.yml"
    check_jsonschema("vendor.dependabot", config)
    answers = variant.full_answers
    ecosystems = {update["package-ecosystem"] for update in load_yaml(config)["updates"]}
    expected = {"uv"}
    if answers["ci"] == "github":
        expected.add("github-actions")
    if answers["docker"]:
        expected |= {"docker", "docker-compose"}
    assert ecosystems == expected


def test_zizmor_finds_an_unpinned_action(tmp_path: Path) -> None:
    """The audit above can fail: an action referenced by tag is a finding."""
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    (folder / "ci.yml").write_text(
        "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v6\n        with:\n          persist-credentials: false\n"
    )
    assert [finding["ident"] for finding in zizmor_findings(folder)] == ["unpinned-uses"]


# --- GitLab CI and Renovate ------------------------------------------------------------------


def service_images(job: dict[str, Any]) -> set[str]:
    images = set()
    for service in job.get("services", []):
        name = service["name"] if isinstance(service, dict) else service
        images.add(name.split(":")[0])
    return images


@pytest.mark.variant
@variants_where(ci="gitlab")
def test_gitlab_pipeline_does_what_the_github_workflows_do(
    rendered: Render, variant: Variant
) -> None:
    root = rendered(variant)
    pipeline = root / ".gitlab-ci.yml"
    check_jsonschema("vendor.gitlab-ci", pipeline)
    answers = variant.full_answers
    jobs = load_yaml(pipeline)
    lint = " ".join(jobs["lint"]["script"])
    for command in ("ruff check", "ruff format --check", "mypy"):
        assert f"uv run --locked {command}" in lint
    assert jobs["test"]["script"] == ["uv run --locked pytest"]
    wanted = {"redis"} if answers["rate_limit_backend"] == "redis" else set()
    if answers["database"] == "postgresql":
        wanted.add("postgres")
    assert service_images(jobs["test"]) == wanted
    if wanted:
        assert jobs["test"]["variables"]["REQUIRE_SERVICES"] == "1"
    audit = " ".join(jobs["audit"]["script"])
    assert "uv export --locked --no-dev" in audit
    assert "pip-audit --strict" in audit
    assert "copier check-update" in " ".join(jobs["template-update"]["script"])
    assert jobs["template-update"]["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "schedule"'}]
    assert ("docker-image" in jobs) == answers["docker"]
    if answers["docker"]:
        assert "sh deploy/smoke-test.sh service:ci" in jobs["docker-image"]["script"]


@pytest.mark.variant
@variants_where(ci="github")
def test_github_tests_get_the_servers_the_variant_needs(rendered: Render, variant: Variant) -> None:
    root = rendered(variant)
    answers = variant.full_answers
    test_job = load_yaml(root / ".github" / "workflows" / "ci.yml")["jobs"]["test"]
    services = {
        name: spec["image"].split(":")[0] for name, spec in test_job.get("services", {}).items()
    }
    wanted = {"redis": "redis"} if answers["rate_limit_backend"] == "redis" else {}
    if answers["database"] == "postgresql":
        wanted["postgres"] = "postgres"
    assert services == wanted
    if wanted:
        assert test_job["env"]["REQUIRE_SERVICES"] == "1"


@pytest.mark.variant
@variants_where(dependency_bot="renovate")
def test_renovate_covers_python_ci_and_images(rendered: Render, variant: Variant) -> None:
    root = rendered(variant)
    config = root / "renovate.json"
    check_jsonschema("vendor.renovate", config)
    settings = json.loads(config.read_text(encoding="utf-8"))
    # config:recommended turns on every manager: pep621 (pyproject.toml and uv.lock),
    # github-actions or gitlabci, dockerfile and docker-compose. Nothing may turn one off.
    assert "config:recommended" in settings["extends"]
    assert "enabledManagers" not in settings
    assert settings["lockFileMaintenance"]["enabled"] is True
    assert settings["minimumReleaseAge"] == "7 days"


# --- Docker and compose ----------------------------------------------------------------------


def compose_of(root: Path) -> dict[str, Any]:
    document: dict[str, Any] = load_yaml(root / "compose.yaml")
    return document


@pytest.mark.variant
@variants_where(docker=True)
def test_dockerfile_and_scripts_pass_their_linters(rendered: Render, variant: Variant) -> None:
    root = rendered(variant)
    run([tool("hadolint"), "Dockerfile"], root)
    scripts = sorted((root / "deploy").glob("*.sh"))
    assert scripts
    # SC2329: a function that only `trap` calls looks unused to shellcheck.
    run([tool("shellcheck"), "--shell=sh", "--exclude=SC2329", *scripts], root)


@pytest.mark.variant
@variants_where(docker=True)
def test_compose_runs_replicas_behind_one_tls_proxy(rendered: Render, variant: Variant) -> None:
    root = rendered(variant)
    answers = variant.full_answers
    check_jsonschema("vendor.compose-spec", root / "compose.yaml")
    compose = compose_of(root)
    services = compose["services"]
    expected = {"migrate", "api", "proxy"}
    if answers["rate_limit_backend"] == "redis":
        expected.add("redis")
    if answers["database"] == "postgresql":
        expected.add("postgres")
    assert set(services) == expected
    api, proxy = services["api"], services["proxy"]
    environment = api["environment"]
    # Only the proxy is published; the service trusts forwarded headers from its network only.
    assert "ports" not in api
    assert {"80:80", "443:443"} <= set(proxy["ports"])
    subnet = compose["networks"]["edge"]["ipam"]["config"][0]["subnet"]
    assert environment["APP_FORWARDED_ALLOW_IPS"] == subnet
    assert set(proxy["networks"]) == {"edge"}
    assert api["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    # The replica count, and APP_REPLICAS that the deploy checks read, are the same value.
    assert str(api["deploy"]["replicas"]) == str(environment["APP_REPLICAS"])
    if scales(answers):
        assert api["deploy"]["replicas"] == "${APP_REPLICAS:-2}"
    else:
        assert api["deploy"]["replicas"] == 1
    for name in ("api", "migrate"):
        hardened = services[name]
        assert hardened["read_only"] is True
        assert hardened["cap_drop"] == ["ALL"]
        assert "no-new-privileges:true" in hardened["security_opt"]
    if answers["tls"] == "uvicorn":
        assert environment["APP_SSL_CERTFILE"] == "/run/secrets/tls.crt"
        assert environment["APP_SSL_KEYFILE"] == "/run/secrets/tls.key"
    # Every secret file compose mounts is one that deploy/compose-secrets.sh writes.
    files = {Path(spec["file"]).name for spec in compose.get("secrets", {}).values()}
    assert bool(files) == has_compose_secrets(answers)
    if files:
        script = (root / "deploy" / "compose-secrets.sh").read_text(encoding="utf-8")
        written = set(re.findall(r"^if missing (\S+); then", script, re.MULTILINE))
        written |= {"tls.crt"} if "tls.key" in written else set()
        assert files == written


def caddy_config(root: Path, tmp_path: Path) -> dict[str, Any]:
    """The rendered Caddyfile as Caddy reads it, with the settings compose gives it."""
    env = clean_env(
        APP_ALLOWED_HOSTS="api.example.com, www.example.com",
        CADDY_TLS="internal",
        HOME=str(tmp_path),
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
    )
    caddyfile = root / "deploy" / "caddy" / "Caddyfile"
    run([tool("caddy"), "fmt", "--diff", caddyfile], root, env=env)
    adapted = run(
        [tool("caddy"), "adapt", "--adapter", "caddyfile", "--config", caddyfile], root, env=env
    )
    assert "not formatted" not in adapted.stderr
    config: dict[str, Any] = json.loads(adapted.stdout)
    return config


@pytest.mark.variant
@variants_where(docker=True)
def test_caddy_balances_over_every_replica(
    rendered: Render, variant: Variant, tmp_path: Path
) -> None:
    root = rendered(variant)
    answers = variant.full_answers
    config = caddy_config(root, tmp_path)
    assert config["admin"] == {"disabled": True}
    (route,) = config["apps"]["http"]["servers"]["srv0"]["routes"]
    assert route["match"] == [{"host": ["api.example.com", "www.example.com"]}]
    handlers = [
        handler for sub in route["handle"] for r in sub["routes"] for handler in r["handle"]
    ]
    (proxy,) = [handler for handler in handlers if handler["handler"] == "reverse_proxy"]
    assert proxy["dynamic_upstreams"] == {
        "source": "a",
        "name": "api",
        "port": "8000",
        "refresh": 5_000_000_000,
    }
    transport = proxy.get("transport", {})
    if answers["tls"] == "uvicorn":
        # HTTPS to the replicas, checking their certificate (never skipping verification).
        assert transport["tls"]["server_name"] == "api"
        assert transport["tls"]["ca"] == {"provider": "file", "pem_files": ["/run/secrets/tls.crt"]}
        assert "insecure_skip_verify" not in transport["tls"]
    else:
        assert "tls" not in transport
    (policy,) = config["apps"]["tls"]["automation"]["policies"]
    assert policy["issuers"] == [{"module": "internal"}]


@pytest.mark.slow
@pytest.mark.parametrize(
    "choices",
    [
        {},
        {"rate_limit_backend": "redis", "database": "postgresql", "tls": "uvicorn"},
        {"jwt_algorithm": "Ed25519", "database": "postgresql"},
    ],
    ids=["default", "redis-postgresql-uvicorn", "ed25519-postgresql"],
)
def test_compose_settings_and_secrets_pass_the_deploy_checks(
    template_src: Path, tmp_path: Path, choices: dict[str, str]
) -> None:
    """deploy/compose-secrets.sh writes what compose.yaml mounts, and the service's `check`
    accepts those files with the settings compose gives it (paths moved to this folder)."""
    root = render(template_src, tmp_path / "service", {**BASE_DATA, **choices})
    if os.geteuid() != 0:
        pytest.skip("compose-secrets.sh sets file owners: it runs as root")
    run(["sh", "deploy/compose-secrets.sh"], root)
    again = run(["sh", "deploy/compose-secrets.sh"], root)
    assert "writing" not in again.stdout  # existing secrets are kept
    secrets = root / "secrets"
    for path in secrets.iterdir():
        mode = path.stat().st_mode & 0o777
        if path.stat().st_uid == 10001:
            assert mode == 0o400, path.name
        else:
            assert path.name in {"redis.conf", "postgres_password", "tls.crt"}, path.name
            assert mode == 0o444, path.name
    compose = compose_of(root)
    environment = {
        key: str(value).replace("/run/secrets", str(secrets))
        for key, value in compose["x-service"]["environment"].items()
    }
    environment.update(
        APP_ALLOWED_HOSTS="api.example.com",
        APP_FORWARDED_ALLOW_IPS="10.201.83.0/24",
        APP_REPLICAS="2" if environment["APP_REPLICAS"].startswith("$") else "1",
        APP_LOG_LEVEL="INFO",
        APP_SECRETS_DIR=str(secrets),
    )
    if "sqlite" in environment.get("APP_DATABASE_URL", ""):
        environment["APP_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"
    run(
        [uv_bin(), "sync", "--no-dev"],
        root,
        env=clean_env(UV_PYTHON=BASE_DATA["python_version"]),
        timeout=900,
    )
    slug = load_yaml(root / ".copier-answers.yml")["project_slug"]
    result = run([root / ".venv" / "bin" / slug, "check"], root, env=clean_env(**environment))
    assert "every deploy check passed" in result.stdout + result.stderr


# --- Kubernetes ------------------------------------------------------------------------------


def manifests(root: Path) -> dict[str, dict[str, Any]]:
    """Kind -> the one manifest of that kind."""
    found = {}
    for path in sorted((root / KUBERNETES).glob("*.yaml")):
        document = load_yaml(path)
        found[document["kind"]] = document
    return found


def pod_specs(found: dict[str, dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(kind, pod spec) of the Deployment and, when there is one, the migration Job."""
    for kind in ("Deployment", "Job"):
        if kind in found:
            yield kind, found[kind]["spec"]["template"]["spec"]


@pytest.mark.variant
@variants_where(docker=True)
def test_kubernetes_manifests_pass_strict_validation(rendered: Render, variant: Variant) -> None:
    root = rendered(variant)
    folder = root / KUBERNETES
    resources = load_yaml(folder / "kustomization.yaml")["resources"]
    files = sorted(path.name for path in folder.glob("*.yaml") if path.name != "kustomization.yaml")
    assert sorted(resources) == files
    # The schemas of Kubernetes itself, shipped with the tool: no cluster, no network.
    run([tool("kubernetes-validate"), "--strict", "--quiet", *files], folder)


@pytest.mark.variant
@variants_where(docker=True)
def test_kubernetes_pods_run_locked_down(rendered: Render, variant: Variant) -> None:
    root = rendered(variant)
    answers = variant.full_answers
    found = manifests(root)
    assert set(found) >= {
        "Kustomization",
        "ConfigMap",
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
    }
    assert ("Job" in found) == (answers["database"] == "postgresql")
    assert ("PersistentVolumeClaim" in found) == (answers["database"] == "sqlite")
    for kind, spec in pod_specs(found):
        assert spec["automountServiceAccountToken"] is False
        assert spec["enableServiceLinks"] is False  # a Service named `app` would set APP_PORT
        assert spec["securityContext"] == {
            "runAsNonRoot": True,
            "runAsUser": 10001,
            "runAsGroup": 10001,
            "fsGroup": 10001,
            "seccompProfile": {"type": "RuntimeDefault"},
        }
        volumes = {volume["name"]: volume for volume in spec["volumes"]}
        assert volumes["tmp"]["emptyDir"]["medium"] == "Memory"
        sources = volumes["secrets"]["projected"]["sources"]
        secret_names = [source["secret"]["name"] for source in sources]
        assert secret_names[0].endswith("-secrets")
        serves_tls = kind == "Deployment" and answers["tls"] == "uvicorn"
        assert secret_names[1:] == (
            [secret_names[0].replace("-secrets", "-tls")] if serves_tls else []
        )
        for container in spec.get("initContainers", []) + spec["containers"]:
            assert container["securityContext"] == {
                "allowPrivilegeEscalation": False,
                "readOnlyRootFilesystem": True,
                "capabilities": {"drop": ["ALL"]},
            }
            assert set(container["resources"]) == {"requests", "limits"}
            mounts = {mount["mountPath"]: mount for mount in container["volumeMounts"]}
            assert mounts["/run/secrets"]["readOnly"] is True
            assert mounts["/tmp"]["name"] == "tmp"  # noqa: S108  (a path in the pod)


@pytest.mark.variant
@variants_where(docker=True)
def test_kubernetes_probes_and_replicas_follow_the_choices(
    rendered: Render, variant: Variant
) -> None:
    root = rendered(variant)
    answers = variant.full_answers
    found = manifests(root)
    (api,) = found["Deployment"]["spec"]["template"]["spec"]["containers"]
    scheme = "HTTPS" if answers["tls"] == "uvicorn" else "HTTP"
    host = found["ConfigMap"]["data"]["APP_ALLOWED_HOSTS"].split(",")[0]
    for probe, path in (("livenessProbe", "/health/live"), ("readinessProbe", "/health/ready")):
        request = api[probe]["httpGet"]
        assert (request["path"], request["scheme"]) == (path, scheme)
        assert request["httpHeaders"] == [{"name": "Host", "value": host}]
    # kustomize copies the first allowed host into both probes' Host header.
    (replacement,) = found["Kustomization"]["replacements"]
    assert replacement["source"]["fieldPath"] == "data.APP_ALLOWED_HOSTS"
    assert len(replacement["targets"][0]["fieldPaths"]) == 2
    hpa = found["HorizontalPodAutoscaler"]["spec"]
    limit = 10 if scales(answers) else 1
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == ((2, 10) if scales(answers) else (1, 1))
    assert found["ConfigMap"]["data"]["APP_REPLICAS"] == str(limit)
    assert found["PodDisruptionBudget"]["spec"] == {
        "maxUnavailable": 1,
        "selector": found["Deployment"]["spec"]["selector"],
    }
    # The image the manifests name is the one kustomization.yaml rewrites.
    (image,) = found["Kustomization"]["images"]
    containers = [
        container
        for _, spec in pod_specs(found)
        for container in spec.get("initContainers", []) + spec["containers"]
    ]
    assert {container["image"] for container in containers} == {image["name"]}
