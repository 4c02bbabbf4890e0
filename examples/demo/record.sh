#!/bin/sh
# Stands in for a firewall command: prints what it would do and appends it to
# demo-state/actions.log, so that bans and unbans can be watched without root.
mkdir -p demo-state
echo "$(date '+%H:%M:%S') $1 $2" | tee -a demo-state/actions.log
