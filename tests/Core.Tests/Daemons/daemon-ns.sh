#!/usr/bin/env bash
# Runs as PID 1 of a fresh PID+mount+net+IPC namespace (unshare --pid --fork --mount-proc --net --ipc), before Tend (or a plain
# shell) is exec'd: brings the namespace's own loopback up and gives every daemon private state, so the host's copies
# are never started, read-written or modified:
# - /run (and so /var/run, /var/lock) and /dev/shm: empty tmpfs, as in a container;
# - /var/log and /var/spool/cron: tmpfs with the same directories (owners, modes) and no content;
# - the daemons' data dirs (/var/lib/mysql, /var/lib/postgresql, …): a tmpfs holding a copy;
# - cron: an empty /etc/crontab and /etc/cron.d, so no host job runs in here;
# - /tmp: an empty tmpfs (mysql_upgrade, run by mariadb's debian-start, writes there), except for the directory of
#   $TEND_CONTROL_SOCKET, which stays the host's so the test's client reaches Tend's control socket, and the clone
#   this script belongs to (the binaries the test runs), when it lies under /tmp.
# Mounts made here die with the namespace (unshare makes them private). The working directory becomes /run, so a
# daemon that writes into its cwd (redis-server without a config saves dump.rdb there) writes into the tmpfs.
# Usage: daemon-ns.sh COMMAND [ARG]… (runs the setup, then execs COMMAND), or sourced from a bash script (setup only).
set -euo pipefail
ip link set lo up

shape() { # a tmpfs over each dir with the same subdirectories, owners and modes, and no files
  local d spec
  for d; do
    [ -d "$d" ] || continue
    spec=$(find "$d" -xdev -type d -printf '%U %G %m %p\n')
    mount -t tmpfs -o mode=0755 tmpfs "$d"
    while read -r u g m p; do install -d -o "$u" -g "$g" -m "$m" "$p"; done <<<"$spec"
  done
}
copy() { # a tmpfs over each dir holding a copy of it
  local d
  for d; do
    [ -d "$d" ] || continue
    mount -t tmpfs -o mode=0755 tmpfs /mnt
    cp -a "$d/." /mnt/
    mount --move /mnt "$d"
  done
}

mount -t tmpfs -o mode=0755 tmpfs /run
install -d -m 1777 /run/lock
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
shape /var/log /var/spool/cron /var/cache/apache2
copy /var/lib/mysql /var/lib/postgresql /var/lib/nginx /var/lib/redis /var/lib/apache2
mount -t tmpfs -o mode=0755 tmpfs /etc/cron.d
printf 'SHELL=/bin/sh\nPATH=/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin\n' >/run/.crontab
mount --bind /run/.crontab /etc/crontab
# What stays visible under the new /tmp: the control socket's directory, and the repository this script was copied
# from (found above it by Framework.sln), so a clone under /tmp still runs its own binaries.
keep=()
if [ -n "${TEND_CONTROL_SOCKET:-}" ]; then
  keep+=("$(dirname "$TEND_CONTROL_SOCKET")")
  install -d -m 0700 "${keep[0]}"
fi
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
while [ "$repo" != / ] && [ ! -e "$repo/Framework.sln" ]; do repo=$(dirname "$repo"); done
if [ "$repo" != / ]; then keep+=("$repo"); fi
kept=()
for d in "${keep[@]}"; do
  d=$(realpath "$d")
  case "$d/" in /tmp/*) ;; *) continue ;; esac
  install -d -m 0700 "/run/.tend-keep/${#kept[@]}"
  mount --bind "$d" "/run/.tend-keep/${#kept[@]}"
  kept+=("$d")
done
mount -t tmpfs -o mode=1777 tmpfs /tmp
for i in "${!kept[@]}"; do
  install -d -m 0700 "${kept[$i]}"
  mount --bind "/run/.tend-keep/$i" "${kept[$i]}"
done
cd /run
if [ "${BASH_SOURCE[0]}" = "$0" ]; then exec "$@"; fi
