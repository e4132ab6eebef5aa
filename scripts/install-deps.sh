#!/usr/bin/env bash
# What the tests need beyond the .NET SDK: the seed's real daemons, the daemons of the lineage tests (Category=Daemons:
# started the way users write them, each in its own PID+mount+net namespace), and the tools that make namespaces and ptys.
set -euo pipefail
need=()
command -v apache2 >/dev/null 2>&1 || [ -x /usr/sbin/apache2 ] || need+=(apache2)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh-keyscan >/dev/null 2>&1 || need+=(openssh-client)
[ -x /usr/sbin/nginx ] || need+=(nginx)
[ -x /usr/bin/redis-server ] || need+=(redis-server)
[ -x /usr/sbin/cron ] || need+=(cron)
[ -x /usr/sbin/mariadbd ] || need+=(mariadb-server)
[ -x /usr/bin/pg_ctlcluster ] && ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need+=(postgresql)
ls /usr/sbin/php-fpm* >/dev/null 2>&1 || need+=(php-fpm) # sd_notify tests (php-fpm8.2 on Debian 12)
[ -x /usr/bin/python3 ] || need+=(python3-minimal) # the notify tests' hand-written sd_notify service
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v unshare >/dev/null 2>&1 || need+=(util-linux)
command -v nsenter >/dev/null 2>&1 || need+=(util-linux)
command -v script >/dev/null 2>&1 || need+=(bsdutils)
command -v ps >/dev/null 2>&1 || need+=(procps)
# The metrics tests: a real Prometheus scrapes Tend's /metrics, and promtool checks the exposition.
command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 || need+=(prometheus)
if [ ${#need[@]} -gt 0 ]; then
  # Keep apt from starting the daemons on the host: the tests start their own, in namespaces.
  if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
