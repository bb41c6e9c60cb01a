#!/usr/bin/env bash
# Install matrix: packs the library (npm pack), installs the tarball with a plain `npm install` (no --force, no
# --legacy-peer-deps) into each consumer app of apps/, type-checks it (the package's .d.ts files included),
# boots StatefulRedisModule.forRootAsync and runs a smoke check against a private redis-server.
#
#   bash .ci/install-matrix/run.sh [app ...]     (default: every app under apps/)
#
# Each app is copied to a temporary folder with shared/ (main.ts, smoke-check.ts, rooms.module.ts, tsconfig.json)
# unless it has its own file of that name (rooms.module.ts: a feature module whose controller injects the services
# without importing the library's modules; nest12-esm and nest12-cjs import it) (nest12-scheduler has its own main.ts: the smoke check, then three replicas as child processes
# run a @DistributedCron every second for SCHEDULER_SOAK_SECONDS, default 60, each fire checked to run exactly once).
# nest12-readme is a new app written from the README alone, ESM like the one `nest new` makes: only its package.json
# ("type": "module", the runtime packages `nest new` installs), its tsconfig.json (`nest new`'s compiler options:
# nodenext, isolatedModules, emitDecoratorMetadata) and src/check.ts are in the repository; its sources are the README's Quick start blocks (test/docs/write-readme-app.ts
# writes each block whose first line names a file under src/), the packages of the README's `npm install` lines are
# installed beside the tarball, and src/check.ts runs `node dist/main.js` and checks what the README promises.
# Works with CI=true and no stdin; removes its temporary folder and stops Redis on exit.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/sf-install-matrix.XXXXXX")"
redis_pid=""

cleanup() {
  if [ -n "$redis_pid" ] && kill -0 "$redis_pid" 2>/dev/null; then
    kill "$redis_pid" 2>/dev/null || true
    wait "$redis_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '\033[36m[install-matrix]\033[0m %s\n' "$*"; }

if [ $# -gt 0 ]; then apps=("$@"); else mapfile -t apps < <(ls "$here/apps"); fi

command -v redis-server >/dev/null 2>&1 || bash "$root/test/harness/ensure-redis-server.sh"

port="$(node -e "const s = require('net').createServer().listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); })")"
redis-server --port "$port" --bind 127.0.0.1 --dir "$work" --save '' --appendonly no --protected-mode no >"$work/redis.log" 2>&1 &
redis_pid=$!
for _ in $(seq 1 100); do
  redis-cli -p "$port" ping >/dev/null 2>&1 && break
  sleep 0.1
done
redis-cli -p "$port" ping >/dev/null || { cat "$work/redis.log"; exit 1; }
export REDIS_URL="redis://127.0.0.1:$port"
log "redis-server $(redis-server --version | grep -o 'v=[0-9.]*') on $REDIS_URL"

log "npm pack (prepack builds dist/)"
tarball="$work/$(cd "$root" && npm pack --silent --pack-destination "$work" | tail -n 1)"
log "packed $(basename "$tarball"): $(tar -tzf "$tarball" | wc -l) files"

# The README app's writer (TypeScript, compiled once into the temporary folder).
readme_tools=""
readme_app_writer() {
  if [ -z "$readme_tools" ]; then
    readme_tools="$work/readme-tools"
    (cd "$root" && npx --no-install tsc --ignoreConfig --outDir "$readme_tools" --rootDir test/docs --module node20 \
      --moduleResolution node16 --target ES2022 --types node --strict --skipLibCheck test/docs/write-readme-app.ts) >&2 || return 1
  fi
  echo "$readme_tools/write-readme-app.js"
}

run_app() {
  local app="$1" dir="$work/$1" extra_packages=() entry=main.js
  cp -R "$here/apps/$app" "$dir"
  if [ "$app" = nest12-readme ]; then
    log "$app: sources from the README's Quick start"
    local writer packages
    writer="$(readme_app_writer)"
    packages="$(node "$writer" "$root/README.md" "$dir")"
    read -r -a extra_packages <<<"$packages"
    entry=check.js
  else
    for file in main.ts smoke-check.ts rooms.module.ts; do [ -e "$dir/src/$file" ] || cp "$here/shared/$file" "$dir/src/$file"; done
  fi
  [ -e "$dir/tsconfig.json" ] || cp "$here/shared/tsconfig.json" "$dir/tsconfig.json"
  cd "$dir"
  log "$app: npm install $(basename "$tarball") ${extra_packages[*]}"
  npm install --no-audit --no-fund --prefer-offline --loglevel=error "$tarball" "${extra_packages[@]}"
  log "$app: tsc"
  npx --no-install tsc -p tsconfig.json
  # The package's own declarations, checked against this app's versions of Nest, ioredis, terminus, class-validator.
  local lib_errors
  lib_errors="$(npx --no-install tsc -p tsconfig.json --noEmit --skipLibCheck false 2>&1 | grep 'node_modules/nestjs-stateful-redis/' || true)"
  if [ -n "$lib_errors" ]; then
    echo "$lib_errors"
    echo "$app: the package's .d.ts files do not compile against this app's dependencies" >&2
    return 1
  fi
  log "$app: node dist/$entry"
  timeout 120 node "dist/$entry"
  node -e "
    const versions = ['@nestjs/core', '@nestjs/terminus', 'ioredis', 'class-validator', 'prom-client', '@liaoliaots/nestjs-redis']
      .map((name) => { try { return name + '@' + require('./node_modules/' + name + '/package.json').version; } catch { return null; } })
      .filter(Boolean);
    const type = require('./package.json').type === 'module' ? 'ESM' : 'CJS';
    console.log('$app (' + type + '): ' + versions.join(', '));
  " >>"$work/tested.txt"
}

failed=()
for app in "${apps[@]}"; do
  [ -d "$here/apps/$app" ] || { echo "no app $app under $here/apps" >&2; exit 2; }
  started=$SECONDS
  set +e
  (set -e; run_app "$app")
  status=$?
  set -e
  if [ $status -eq 0 ]; then
    log "$app: passed in $((SECONDS - started)) s"
  else
    log "$app: FAILED (exit $status)"
    failed+=("$app")
  fi
done

log "tested:"
[ -f "$work/tested.txt" ] && sed 's/^/  /' "$work/tested.txt"
passed=$((${#apps[@]} - ${#failed[@]}))
echo "install-matrix: ${passed} passed, ${#failed[@]} failed"
[ ${#failed[@]} -eq 0 ]
