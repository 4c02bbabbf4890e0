#!/bin/sh
# Installs the reference tools of the benchmark suite from Debian's packages (fail2ban for
# fail2ban-regex and fail2ban-server, sshguard for sshg-parser) and makes sure that neither
# runs as a service afterwards: the suite starts its own fail2ban-server with a temporary
# configuration, and a background fail2ban or sshguard would ban real addresses on this
# machine and skew the figures. Run as root: sh bench/install-tools.sh
set -eu
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q fail2ban sshguard
for service in fail2ban sshguard; do
  if command -v systemctl >/dev/null 2>&1; then
    systemctl disable --now "$service" 2>/dev/null || true
  fi
  if command -v service >/dev/null 2>&1; then
    service "$service" stop 2>/dev/null || true
  fi
  if command -v update-rc.d >/dev/null 2>&1; then
    update-rc.d "$service" disable 2>/dev/null || true
  fi
done
# Without a service manager the package may still have started the server on its default socket.
if [ -S /var/run/fail2ban/fail2ban.sock ]; then
  fail2ban-client stop || true
  rm -f /var/run/fail2ban/fail2ban.sock
fi
echo "fail2ban $(fail2ban-server -V 2>/dev/null || echo missing); sshguard $(dpkg-query -W -f '${Version}' sshguard 2>/dev/null || echo missing)"
