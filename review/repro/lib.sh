# Shared by the repro scripts: a newcomer's app made by `nest new` (NestJS 12), the packed tarball and the README's
# two install lines, the README's Quick start blocks as written; a private redis-server on a free port.
set -uo pipefail
WT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
APP="${APP:-/tmp/newapp-repro}"
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
write_quickstart() { # $1 = app dir: every README block whose first line is `// src/...`, as written
  python3 - "$WT/README.md" "$1" <<'P'
import re, os, sys
readme, app = sys.argv[1], sys.argv[2]
for m in re.finditer(r'```ts\n(.*?)```', open(readme).read(), re.S):
    first = m.group(1).split('\n', 1)[0]
    mm = re.match(r'// (src/\S+)', first)
    if mm:
        p = os.path.join(app, mm.group(1)); os.makedirs(os.path.dirname(p), exist_ok=True)
        open(p, 'w').write(m.group(1))
P
}
ensure_app() {
  [ -f "$APP/node_modules/nestjs-stateful-redis/package.json" ] && return 0
  local tgz; tgz="$(mktemp -d)"
  (cd "$WT" && npm pack --silent --pack-destination "$tgz" >/dev/null) || return 1
  rm -rf "$APP"; (cd "$(dirname "$APP")" && npx --yes @nestjs/cli@12 new "$(basename "$APP")" --skip-git \
    --package-manager npm --strict >/dev/null 2>&1) || return 1
  (cd "$APP" && npm install --silent "$tgz"/nestjs-stateful-redis-*.tgz @nestjs/common @nestjs/core @nestjs/terminus \
    ioredis class-validator && npm install --silent @nestjs/config class-transformer) >/dev/null 2>&1 || return 1
}
start_redis() { REDIS_PORT="$(free_port)"; REDIS_DIR="$(mktemp -d)"
  redis-server --port "$REDIS_PORT" --save '' --daemonize yes --dir "$REDIS_DIR" --pidfile "$REDIS_DIR/pid" >/dev/null
  for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }
stop_redis() { [ -f "$REDIS_DIR/pid" ] && kill "$(cat "$REDIS_DIR/pid")" 2>/dev/null; rm -rf "$REDIS_DIR"; }
