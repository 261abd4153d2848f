#!/usr/bin/env bash
# Static checks of the deployment files, run by ./dev test (no container engine needed):
#   - hadolint on docker/Dockerfile
#   - docker-compose validates compose.yaml, with .env.example plus throwaway values for the
#     secrets it leaves empty (as a newcomer's .env would have them filled in)
#   - bash -n on the shell scripts
set -euo pipefail
cd "$(dirname "$0")/.."

HADOLINT="${HADOLINT:-.venv/bin/hadolint}"
"$HADOLINT" docker/Dockerfile

env_file="$(mktemp)"
trap 'rm -f "$env_file"' EXIT
cat .env.example >"$env_file"
for name in SECRET_KEY POSTGRES_PASSWORD DB_OWNER_PASSWORD DB_APP_PASSWORD REDIS_PASSWORD AWS_SECRET_ACCESS_KEY; do
  echo "$name=check-config-placeholder-$name" >>"$env_file"
done
ENV_FILE="$env_file" docker-compose --env-file "$env_file" -f compose.yaml config --quiet

for script in docker/*.sh; do bash -n "$script"; done
echo "deployment files OK (Dockerfile, compose.yaml, docker/*.sh)"
