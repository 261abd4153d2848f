"""deploy/kubernetes/ rendered by `kubectl kustomize` (no cluster needed): every object valid
against the Kubernetes 1.33 schemas shipped in kubernetes-validate (offline), and the
properties the deployment relies on, asserted on the rendered objects of both overlays.

KEDA's objects are custom resources whose schema is not vendored here: their fields are
asserted below instead (test_every_worker_queue_has_a_deployment_and_a_scaled_object).
checkov runs on the same rendering in docker/check-config.sh (./dev test).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from django.conf import settings

from core import task_queues

BASE_DIR = Path(settings.BASE_DIR)
KUBERNETES = BASE_DIR / "deploy" / "kubernetes"
OVERLAYS = ("dev", "production")
SCHEMA_VERSION = "1.33.0"
CUSTOM_KINDS = {("keda.sh/v1alpha1", "ScaledObject"), ("keda.sh/v1alpha1", "TriggerAuthentication")}
OWNER_SECRET = "invoiceflow-owner"
WORKLOAD_KINDS = {"Deployment", "Job", "StatefulSet", "DaemonSet", "CronJob", "Pod"}

_rendered: dict[str, list[dict[str, Any]]] = {}


def render(overlay: str) -> list[dict[str, Any]]:
    if overlay not in _rendered:
        if not shutil.which("kubectl"):
            pytest.skip("needs kubectl (for kustomize)")
        result = subprocess.run(
            ["kubectl", "kustomize", str(KUBERNETES / "overlays" / overlay)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        _rendered[overlay] = [doc for doc in yaml.safe_load_all(result.stdout) if doc]
    return _rendered[overlay]


@pytest.fixture(params=OVERLAYS)
def objects(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    return render(request.param)


def by_kind(objects: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {obj["metadata"]["name"]: obj for obj in objects if obj["kind"] == kind}


def pod_spec(obj: dict[str, Any]) -> dict[str, Any]:
    return obj["spec"]["template"]["spec"]


def workloads(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [obj for obj in objects if obj["kind"] in WORKLOAD_KINDS]


def generated(name: str, base: str) -> bool:
    """`name` is `base`, or `base` with the hash suffix kustomize's generators add."""
    return re.fullmatch(rf"{re.escape(base)}(-[a-z0-9]{{10}})?", name) is not None


def secrets_seen(spec: dict[str, Any]) -> set[str]:
    """Every Secret a pod spec can read: volumes (plain and projected), env and envFrom."""
    seen = set()
    for volume in spec.get("volumes", []):
        if "secret" in volume:
            seen.add(volume["secret"]["secretName"])
        for source in volume.get("projected", {}).get("sources", []):
            if "secret" in source:
                seen.add(source["secret"]["name"])
    for container in spec.get("containers", []) + spec.get("initContainers", []):
        for env in container.get("env", []):
            ref = env.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                seen.add(ref["name"])
        for source in container.get("envFrom", []):
            if "secretRef" in source:
                seen.add(source["secretRef"]["name"])
    return seen


# --- schemas -------------------------------------------------------------------------------------


def test_every_rendered_object_validates_against_the_kubernetes_schemas(objects) -> None:
    assert len(objects) > 30
    for obj in objects:
        if (obj["apiVersion"], obj["kind"]) in CUSTOM_KINDS:
            continue
        # Raises ValidationError (or SchemaNotFoundError for an unknown kind): strict, so an
        # unknown field is an error too.
        kubernetes_validate.validate(obj, SCHEMA_VERSION, strict=True)


def test_the_schemas_ship_in_the_package_and_catch_a_wrong_field() -> None:
    # Offline: the package holds the schemas (nothing is downloaded during the test).
    schemas = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
    assert (schemas / f"v{SCHEMA_VERSION}-local-strict").is_dir()
    web = by_kind(render("production"), "Deployment")["invoiceflow-web"]
    broken = yaml.safe_load(yaml.safe_dump(web))
    broken["spec"]["template"]["spec"]["containers"][0]["resource"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, SCHEMA_VERSION, strict=True)


# --- secrets -------------------------------------------------------------------------------------


def test_only_the_migrate_job_sees_the_owners_secret(objects) -> None:
    holders = [
        f"{obj['kind']}/{obj['metadata']['name']}"
        for obj in workloads(objects)
        if any(generated(name, OWNER_SECRET) for name in secrets_seen(pod_spec(obj)))
    ]
    assert holders == ["Job/invoiceflow-migrate"]


def test_secrets_are_mounted_as_files_never_passed_as_variables(objects) -> None:
    for obj in workloads(objects):
        for container in pod_spec(obj)["containers"]:
            assert not any("secretRef" in source for source in container.get("envFrom", [])), obj["metadata"]
            assert not any("valueFrom" in env for env in container.get("env", [])), obj["metadata"]


# --- pods ----------------------------------------------------------------------------------------


def test_every_pod_runs_restricted(objects) -> None:
    for obj in workloads(objects):
        spec = pod_spec(obj)
        name = obj["metadata"]["name"]
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        assert spec["automountServiceAccountToken"] is False, name
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["capabilities"]["drop"] == ["ALL"], name
            assert context.get("privileged", False) is False, name
            assert context["runAsUser"] >= 10000, name
            resources = container["resources"]
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(resources[kind]), (name, kind)


def test_the_web_probes_health_and_readiness_and_stops_gracefully(objects) -> None:
    web = by_kind(objects, "Deployment")["invoiceflow-web"]
    container = pod_spec(web)["containers"][0]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    # uvicorn's graceful timeout (30 s) plus the preStop pause fit in the grace period.
    assert pod_spec(web)["terminationGracePeriodSeconds"] >= 30 + 10
    assert web["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


def test_every_worker_queue_has_a_deployment_and_a_scaled_object(objects) -> None:
    deployments = by_kind(objects, "Deployment")
    scaled = by_kind(objects, "ScaledObject")
    pdbs = by_kind(objects, "PodDisruptionBudget")
    auth = by_kind(objects, "TriggerAuthentication")
    assert set(auth) == {"invoiceflow-redis"}
    for queue in task_queues.QUEUES:
        name = f"invoiceflow-worker-{queue}"
        container = pod_spec(deployments[name])["containers"][0]
        env = {item["name"]: item.get("value") for item in container["env"]}
        assert env["CELERY_WORKER_QUEUES"] == queue
        assert container["args"] == ["worker"]
        # Liveness without the broker (invoiceflow/worker_health.py).
        assert container["livenessProbe"]["exec"]["command"][-1] == "worker"
        grace = pod_spec(deployments[name])["terminationGracePeriodSeconds"]
        soft = max(
            task_queues.TIME_LIMITS.get(task, task_queues.DEFAULT_TIME_LIMIT).soft
            for task, routed in task_queues.TASK_QUEUE.items()
            if routed == queue
        )
        assert grace > soft
        assert grace > task_queues.longest_hard_limit(queue)
        assert name in pdbs
        # KEDA's ScaledObject (keda.sh/v1alpha1), field by field: its schema is not vendored.
        spec = scaled[name]["spec"]
        assert spec["scaleTargetRef"] == {"name": name}
        assert 1 <= spec["minReplicaCount"] <= spec["maxReplicaCount"]
        (trigger,) = spec["triggers"]
        assert trigger["type"] == "redis"
        assert trigger["metadata"]["listName"] == task_queues.queue_name(queue)
        assert int(trigger["metadata"]["listLength"]) > 0
        assert trigger["authenticationRef"] == {"name": "invoiceflow-redis"}
    assert set(scaled) == {f"invoiceflow-worker-{queue}" for queue in task_queues.QUEUES}


def test_beat_is_a_single_replica_recreated_and_never_scaled(objects) -> None:
    beat = by_kind(objects, "Deployment")["invoiceflow-beat"]
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"] == {"type": "Recreate"}
    targets = [
        obj["spec"]["scaleTargetRef"]["name"]
        for obj in objects
        if obj["kind"] in {"HorizontalPodAutoscaler", "ScaledObject"}
    ]
    assert "invoiceflow-beat" not in targets


def test_web_has_an_autoscaler_and_a_disruption_budget(objects) -> None:
    (hpa,) = by_kind(objects, "HorizontalPodAutoscaler").values()
    assert hpa["spec"]["scaleTargetRef"]["name"] == "invoiceflow-web"
    assert hpa["spec"]["minReplicas"] >= 1
    assert "invoiceflow-web" in by_kind(objects, "PodDisruptionBudget")


def test_the_config_points_the_app_at_pgbouncer_and_nothing_migrates_on_start(objects) -> None:
    config = by_kind(objects, "ConfigMap")
    (app,) = [obj for name, obj in config.items() if name.startswith("invoiceflow-config")]
    assert app["data"]["DATABASE_DISABLE_SERVER_SIDE_CURSORS"] == "true"
    assert app["data"]["MIGRATE_ON_START"] == "false"
    assert app["data"]["DEBUG"] == "false"
    assert "*" not in app["data"]["FORWARDED_ALLOW_IPS"]
    (bouncer,) = [obj for name, obj in config.items() if name.startswith("invoiceflow-pgbouncer")]
    assert "pool_mode = transaction" in bouncer["data"]["pgbouncer.ini"]


def test_network_policies_deny_by_default(objects) -> None:
    policies = by_kind(objects, "NetworkPolicy")
    deny = policies["invoiceflow-default-deny"]["spec"]
    assert set(deny["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny
    assert "egress" not in deny
    # The metadata address is excluded wherever egress goes to the internet.
    for policy in policies.values():
        for rule in policy["spec"].get("egress", []):
            for peer in rule.get("to", []):
                if "ipBlock" in peer:
                    assert "169.254.169.254/32" in peer["ipBlock"]["except"]


def test_the_ingress_has_tls_and_keeps_websockets_open(objects) -> None:
    (ingress,) = by_kind(objects, "Ingress").values()
    assert ingress["spec"]["tls"][0]["secretName"] == "invoiceflow-tls"
    hosts = ingress["spec"]["tls"][0]["hosts"]
    assert hosts == [rule["host"] for rule in ingress["spec"]["rules"]]
    assert int(ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600


# Measured with bench/process_footprint.py (docs/kubernetes.md): PSS max and mean, MiB, per pod
# as configured (web: 2 uvicorn processes; workers: main + 2 pool processes).
MEASURED_MIB = {
    "invoiceflow-web": (2 * 151, 2 * 145),
    "invoiceflow-worker-pdf": (387, 360),
    "invoiceflow-worker-email": (383, 364),
    "invoiceflow-worker-webhooks": (349, 344),
    "invoiceflow-worker-default": (343, 334),
    "invoiceflow-beat": (115, 111),
}


def mebibytes(quantity: str) -> float:
    units = {"Mi": 1, "Gi": 1024}
    return float(quantity[:-2]) * units[quantity[-2:]]


def test_memory_requests_and_limits_come_from_the_measured_usage(objects) -> None:
    deployments = by_kind(objects, "Deployment")
    for name, (peak, mean) in MEASURED_MIB.items():
        resources = pod_spec(deployments[name])["containers"][0]["resources"]
        assert mebibytes(resources["requests"]["memory"]) >= mean, name
        assert mebibytes(resources["limits"]["memory"]) >= 1.5 * peak, name
