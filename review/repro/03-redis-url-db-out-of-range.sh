#!/usr/bin/env bash
# Broken: REDIS_URL=redis://host:port/99 on a Redis with 16 databases: ioredis's SELECT fails, the app says
# "Connected to Redis" and silently writes into database 0. Exit 1 while it starts and writes into db 0.
source "$(dirname "$0")/lib.sh"
ensure_app || exit 2
write_quickstart "$APP"; sed -i 's/^  ScheduledRunContext,$//; s/^} from .nestjs-stateful-redis.;$/&\nimport type { ScheduledRunContext } from "nestjs-stateful-redis";/' "$APP/src/reports/reports.module.ts"
(cd "$APP" && npx nest build >/dev/null 2>&1) || exit 2
start_redis || exit 2; trap stop_redis EXIT
out="$(cd "$APP" && REDIS_URL="redis://127.0.0.1:$REDIS_PORT/99" PORT="$(free_port)" NO_COLOR=1 timeout 6 node dist/main.js 2>&1)"
echo "$out" | grep -E 'StatefulRedis|ERROR|successfully started' | cut -c1-200
keys0=$(redis-cli -p "$REDIS_PORT" -n 0 dbsize)
echo "keys in database 0: $keys0"
if echo "$out" | grep -q 'successfully started' && [ "$keys0" -gt 0 ]; then
  echo "PROBLEM: database 99 was asked for; the app started and wrote into database 0 without a word"; exit 1
fi
exit 0
