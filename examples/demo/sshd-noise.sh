#!/bin/sh
# Prints sshd-like log lines forever: ordinary logins, and attackers that each fail to log in
# four times, a second apart, then go away. riposte.yml bans each of them after its third
# failure and unbans it 20 seconds later. 127.0.0.1 also fails, and is ignored.
i=0
while :; do
  i=$((i + 1))
  case $((i % 3)) in
    0) attacker="2001:db8:0:0::$((i % 100))" ;;
    *) attacker="203.0.113.$((i % 250))" ;;
  esac
  for try in 1 2 3 4; do
    echo "sshd[$((1000 + i))]: Failed password for invalid user admin from $attacker port $((40000 + try)) ssh2"
    echo "sshd[$((2000 + i))]: Accepted publickey for alice from 192.0.2.10 port $((50000 + try)) ssh2"
    echo "sshd[$((3000 + i))]: Failed password for root from 127.0.0.1 port $((60000 + try)) ssh2"
    sleep 1
  done
  sleep 3
done
