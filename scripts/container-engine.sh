#!/usr/bin/env bash
# Makes a container engine answer for the image tests and prints its name (docker or podman) on stdout:
#   - TEND_CONTAINER_ENGINE, when set, is used as it is;
#   - ../shared/containers/setup.sh beside the checkout (the offline stand-ins of Tend's development machines) runs
#     first, with DOCKERD=1: a real dockerd there;
#   - then Docker, when its daemon answers (as users have it); else podman, when installed;
#   - else Debian's docker.io is installed and its dockerd started here (pid in /run/tend-dockerd.pid; it keeps
#     running for the next run, like a service).
# Progress and errors go to stderr. Root.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { echo "container-engine: $*" >&2; }
docker_answers() { command -v docker >/dev/null 2>&1 && timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

if [ -n "${TEND_CONTAINER_ENGINE:-}" ]; then echo "$TEND_CONTAINER_ENGINE"; exit 0; fi

setup=../shared/containers/setup.sh
if [ -f "$setup" ]; then
  DOCKERD=1 bash "$setup" >/tmp/tend-containers-setup.log 2>&1 || { tail -20 /tmp/tend-containers-setup.log >&2; log "$setup failed (log above)"; exit 1; }
fi

if docker_answers; then echo docker; exit 0; fi
if command -v podman >/dev/null 2>&1 && timeout 30 podman info >/dev/null 2>&1; then echo podman; exit 0; fi

if ! command -v dockerd >/dev/null 2>&1; then
  log "no Docker daemon and no podman: installing Debian's docker.io"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
fi
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  systemctl start docker >&2 || true
fi
if ! docker_answers; then
  log "starting dockerd (log: /var/log/tend-dockerd.log)"
  nohup dockerd --pidfile /run/tend-dockerd.pid >/var/log/tend-dockerd.log 2>&1 &
  for _ in $(seq 150); do docker_answers && break; sleep 0.2; done
fi
docker_answers || { tail -20 /var/log/tend-dockerd.log >&2 || true; log "dockerd did not answer within 30 s (log above)"; exit 1; }
echo docker
