#!/usr/bin/env bash
# Broken: Redis unreachable at boot (a wrong REDIS_URL port) gives the one ERROR line, waits the whole
# connectTimeoutMs (10 s) although the refusal is immediate, then Node's unhandled-rejection dump (source excerpt,
# stack, the same message again, ~25 lines): README's main.ts ends in `void bootstrap()`. Exit 1 while so.
source "$(dirname "$0")/lib.sh"
ensure_app || exit 2
write_quickstart "$APP"; sed -i 's/^  ScheduledRunContext,$//; s/^} from .nestjs-stateful-redis.;$/&\nimport type { ScheduledRunContext } from "nestjs-stateful-redis";/' "$APP/src/reports/reports.module.ts"
(cd "$APP" && npx nest build >/dev/null 2>&1) || { echo "build failed"; exit 2; }
start=$(date +%s%N)
out="$(cd "$APP" && REDIS_URL=redis://127.0.0.1:1 PORT="$(free_port)" NO_COLOR=1 timeout 40 node dist/main.js 2>&1 | grep -v 'InstanceLoader\|NestFactory\|RoutesResolver\|RouterExplorer')"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "$out" | head -8; echo "... $(echo "$out" | wc -l) lines in all, exit after ${ms} ms"
problem=0
echo "$out" | grep -q '^Node.js v\|^ *\^$' && { echo "PROBLEM: Node's unhandled-rejection dump follows the ERROR line"; problem=1; }
[ "$ms" -gt 5000 ] && { echo "PROBLEM: ECONNREFUSED took ${ms} ms to report"; problem=1; }
exit $problem
