#!/usr/bin/env bash
# InvoiceFlow's container entrypoint: one image, the role chosen by the first argument.
#
#   entrypoint.sh web      [extra uvicorn args]   ASGI server (HTTP and WebSockets)
#   entrypoint.sh worker   [extra celery args]    Celery worker
#   entrypoint.sh beat     [extra celery args]    Celery beat (the scheduler; run exactly one)
#   entrypoint.sh migrate                         apply migrations as the owning role, then exit
#   entrypoint.sh <anything else>                 run it as is (manage.py shell, bash, ...)
#
# Every role first waits for PostgreSQL and Redis (docker/wait-for-services.py). `web` then
# migrates when MIGRATE_ON_START=true (the default; an advisory lock makes concurrent starts
# safe) and creates the S3 bucket when CREATE_BUCKET=true. CI runs this same script outside a
# container (invoiceflow/tests/test_entrypoint.py), with PYTHON pointing at its virtualenv.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
APP_DIR="${APP_DIR:-$(dirname "$HERE")}"
PYTHON="${PYTHON:-python}"
cd "$APP_DIR"
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-invoiceflow.settings}"

# One JSON object per line, like the app's, unless LOG_FORMAT=plain (or DEBUG on and no
# LOG_FORMAT): invoiceflow/script_log.py follows the same rule.
json_logs() {
  case "${LOG_FORMAT:-}" in
    json) return 0 ;;
    "") case "${DEBUG:-true}" in false | False | FALSE | 0 | no | off) return 0 ;; esac ;;
  esac
  return 1
}
log() {
  if json_logs; then
    local message="$*"
    message="${message//\\/\\\\}"
    message="${message//\"/\\\"}"
    printf '{"time": "%s", "level": "INFO", "logger": "entrypoint", "message": "%s"}\n' \
      "$(date -u +%Y-%m-%dT%H:%M:%S.%3N+00:00)" "$message" >&2
  else
    echo "entrypoint: $*" >&2
  fi
}
# Celery's start-up banner is not a log line: left out when the logs are JSON.
celery_quiet=()
if json_logs; then celery_quiet=(--quiet); fi

is_true() {
  case "${1,,}" in
    true | 1 | yes | on) return 0 ;;
    false | 0 | no | off | "") return 1 ;;
    *) log "expected true or false, got '$1'"; exit 2 ;;
  esac
}

wait_for_services() {
  "$PYTHON" "$HERE/wait-for-services.py" --timeout "${WAIT_TIMEOUT:-60}"
}

migrate() {
  "$PYTHON" "$HERE/migrate.py"
}

role="${1:-web}"
[ $# -gt 0 ] && shift

case "$role" in
  web)
    wait_for_services
    if is_true "${MIGRATE_ON_START:-true}"; then migrate; fi
    if is_true "${CREATE_BUCKET:-false}"; then "$PYTHON" "$HERE/create-bucket.py"; fi
    log "starting web on ${HOST:-0.0.0.0}:${PORT:-8000} with ${WEB_CONCURRENCY:-2} worker process(es)"
    # uvicorn's own supervisor restarts a worker process that dies. Access lines come from
    # invoiceflow.logging (with the request id), so uvicorn's are off. Proxy headers are read
    # by the application itself, from FORWARDED_ALLOW_IPS (core/client_ip.py), which
    # refuses `*`: uvicorn's own reading of them (which would accept it) stays off.
    exec "$PYTHON" -m uvicorn invoiceflow.asgi:application \
      --host "${HOST:-0.0.0.0}" \
      --port "${PORT:-8000}" \
      --workers "${WEB_CONCURRENCY:-2}" \
      --no-proxy-headers \
      --timeout-keep-alive "${WEB_KEEPALIVE:-5}" \
      --timeout-graceful-shutdown "${WEB_GRACEFUL_TIMEOUT:-30}" \
      --lifespan off \
      --no-access-log \
      --no-server-header \
      "$@"
    ;;
  worker)
    wait_for_services
    # The queues this worker consumes (core/task_queues.py), each under the prefix.
    queues=""
    IFS=',' read -r -a wanted <<<"${CELERY_WORKER_QUEUES:-pdf,email,webhooks,default}"
    for queue in "${wanted[@]}"; do
      queue="${queue// /}"
      [ -n "$queue" ] && queues="${queues:+$queues,}${CELERY_QUEUE_PREFIX:-}$queue"
    done
    [ -n "$queues" ] || { log "CELERY_WORKER_QUEUES names no queue"; exit 2; }
    log "starting worker on queue(s) $queues with concurrency ${CELERY_WORKER_CONCURRENCY:-2}"
    exec "$PYTHON" -m celery -A invoiceflow "${celery_quiet[@]}" worker \
      --loglevel "${LOG_LEVEL:-INFO}" \
      --queues "$queues" \
      --concurrency "${CELERY_WORKER_CONCURRENCY:-2}" \
      --max-tasks-per-child "${CELERY_WORKER_MAX_TASKS_PER_CHILD:-1000}" \
      "$@"
    ;;
  beat)
    wait_for_services
    # The schedule's state file must be writable by the non-root user: /tmp by default.
    exec "$PYTHON" -m celery -A invoiceflow "${celery_quiet[@]}" beat \
      --loglevel "${LOG_LEVEL:-INFO}" \
      --schedule "${CELERY_BEAT_SCHEDULE_FILE:-/tmp/celerybeat-schedule}" \
      "$@"
    ;;
  migrate)
    wait_for_services
    migrate
    if is_true "${CREATE_BUCKET:-false}"; then "$PYTHON" "$HERE/create-bucket.py"; fi
    ;;
  *)
    exec "$role" "$@"
    ;;
esac
