#!/usr/bin/env python3
"""Synthetic sshd-style syslog: N lines, a fraction of them authentication failures
from a pool of attacker IPs (v4 and v6), the rest benign. Deterministic (seeded).
usage: genlog.py N [fail_ratio] [attackers] > file"""
# Copy of the project's reference generator (shared/bench/genlog.py): same seed, same output, so
# that figures from this suite compare with others made from the same file. Keep it identical.
import random, sys
n = int(sys.argv[1]); ratio = float(sys.argv[2]) if len(sys.argv) > 2 else 0.1
pool = int(sys.argv[3]) if len(sys.argv) > 3 else 5000
rnd = random.Random(42)
def ip():
    if rnd.random() < 0.15:
        return "2001:db8:%x:%x::%x" % (rnd.randrange(65536), rnd.randrange(65536), rnd.randrange(65536))
    return "%d.%d.%d.%d" % (rnd.randrange(1, 224), rnd.randrange(256), rnd.randrange(256), rnd.randrange(1, 255))
attackers = [ip() for _ in range(pool)]
users = ["root", "admin", "test", "oracle", "ubuntu", "git", "postgres", "user"]
fails = [
    "Failed password for {u} from {ip} port {p} ssh2",
    "Failed password for invalid user {u} from {ip} port {p} ssh2",
    "Invalid user {u} from {ip} port {p}",
    "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={ip}  user={u}",
    "banner exchange: Connection from {ip} port {p}: invalid format",
]
benign = [
    "Accepted publickey for {u} from {ip} port {p} ssh2: ED25519 SHA256:abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
    "pam_unix(sshd:session): session opened for user {u}(uid=1000) by (uid=0)",
    "pam_unix(sshd:session): session closed for user {u}",
    "Connection closed by {ip} port {p} [preauth]",
    "Received disconnect from {ip} port {p}:11: disconnected by user",
    "Disconnected from user {u} {ip} port {p}",
    "Server listening on 0.0.0.0 port 22.",
]
out = sys.stdout
buf = []
for i in range(n):
    s = i // 50
    ts = "Nov %2d %02d:%02d:%02d" % (1 + (s // 86400) % 28, (s // 3600) % 24, (s // 60) % 60, s % 60)
    if rnd.random() < ratio:
        msg = rnd.choice(fails).format(u=rnd.choice(users), ip=rnd.choice(attackers), p=rnd.randrange(1024, 65535))
    else:
        msg = rnd.choice(benign).format(u=rnd.choice(users), ip=ip(), p=rnd.randrange(1024, 65535))
    buf.append("%s host sshd[%d]: %s\n" % (ts, 1000 + i % 30000, msg))
    if len(buf) >= 10000:
        out.write("".join(buf)); buf = []
out.write("".join(buf))
