#!/usr/bin/env bash
# Two server.ts backends behind HAProxy (h2c to the backends), as in docs/deploy.md.
# Needs: apt-get install haproxy. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/../.."
deno run --allow-net server.ts --hostname 127.0.0.1 --port 9001 &
deno run --allow-net server.ts --hostname 127.0.0.1 --port 9002 &
trap 'kill $(jobs -p) 2>/dev/null' EXIT
sleep 1
echo "try: curl --http2-prior-knowledge -D - http://127.0.0.1:8080/   (x-served-by: s1 or s2)"
haproxy -f examples/haproxy/haproxy.cfg -db
