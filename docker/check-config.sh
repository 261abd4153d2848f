#!/usr/bin/env bash
# Static checks of the deployment files, run by ./dev test (no container engine needed):
#   - hadolint on docker/Dockerfile
#   - docker-compose validates compose.yaml, with .env.example plus throwaway values for the
#     secrets it leaves empty (as a newcomer's .env would have them filled in)
#   - bash -n on the shell scripts
#   - Kubernetes (deploy/kubernetes/): each overlay rendered by `kubectl kustomize`, every object
#     validated against the Kubernetes 1.33 schemas (kubernetes-validate, schemas shipped in the
#     package: offline), and checkov on the renderings (no failed check; each skip is justified
#     in the manifest). checkov lives in its own virtualenv (CHECKOV, made by ./dev setup-test):
#     its pins (boto3, urllib3, ...) conflict with the app's.
#     invoiceflow/tests/test_kubernetes.py asserts the deployment's properties on the same files.
set -euo pipefail
cd "$(dirname "$0")/.."

HADOLINT="${HADOLINT:-.venv/bin/hadolint}"
"$HADOLINT" docker/Dockerfile
"$HADOLINT" deploy/pgbouncer/Dockerfile

env_file="$(mktemp)"
trap 'rm -f "$env_file"' EXIT
cat .env.example >"$env_file"
for name in SECRET_KEY POSTGRES_PASSWORD DB_OWNER_PASSWORD DB_APP_PASSWORD REDIS_PASSWORD AWS_SECRET_ACCESS_KEY; do
  echo "$name=check-config-placeholder-$name" >>"$env_file"
done
ENV_FILE="$env_file" docker-compose --env-file "$env_file" -f compose.yaml config --quiet
ENV_FILE="$env_file" docker-compose --env-file "$env_file" -f compose.yaml --profile dev config --quiet

rendered="$(mktemp -d)"
trap 'rm -f "$env_file"; rm -rf "$rendered"' EXIT
for overlay in dev production; do
  kubectl kustomize "deploy/kubernetes/overlays/$overlay" >"$rendered/$overlay.yaml"
  # KEDA's custom resources have no schema in the package: invoiceflow/tests/test_kubernetes.py
  # asserts their fields. Anything else without a schema is an error.
  problems="$(.venv/bin/kubernetes-validate --kubernetes-version 1.33.0 --strict --quiet "$rendered/$overlay.yaml" 2>&1 \
    | grep -v "Couldn't find schema for kind \(ScaledObject\|TriggerAuthentication\) with api version keda.sh/v1alpha1" \
    || true)"
  if [ -n "$problems" ]; then echo "$problems" >&2; exit 1; fi
done
CHECKOV="${CHECKOV:-.venv-checkov/bin/checkov}"
"$CHECKOV" --framework kubernetes --quiet --compact --skip-download \
  -f "$rendered/dev.yaml" -f "$rendered/production.yaml"

for script in docker/*.sh; do bash -n "$script"; done
echo "deployment files OK (Dockerfiles, compose.yaml, docker/*.sh, deploy/kubernetes)"
