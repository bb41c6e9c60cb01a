#!/usr/bin/env bash
# Broken: the README's Quick start, copied as written into an app made by `nest new` (NestJS 12: ESM, nodenext,
# isolatedModules), does not compile: TS1272 on `ScheduledRunContext` (a type, imported as a value, used in a
# decorated method's signature). Exit 1 while it fails. First run: ~90 s (nest new + npm install).
source "$(dirname "$0")/lib.sh"
ensure_app || { echo "could not make the app"; exit 2; }
write_quickstart "$APP"
cd "$APP" && out="$(npx tsc --noEmit -p tsconfig.build.json 2>&1)"; rc=$?
echo "$out" | grep -E "error TS" | head -5
[ $rc -eq 0 ] && { echo "OK: the Quick start compiles in a nest new app"; exit 0; }
echo "PROBLEM: the README Quick start does not compile in a NestJS 12 'nest new' app"; exit 1
