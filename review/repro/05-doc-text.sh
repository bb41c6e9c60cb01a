#!/usr/bin/env bash
# Doc lines at fault (static; exit 1 while any is present). See review/REVIEW.md for each.
cd "$(dirname "$0")/../.." || exit 2
p=0
say() { echo "PROBLEM: $*"; p=1; }
[ "$(grep -c '^| metric  ' docs/operations.md)" -gt 1 ] && say "docs/operations.md: the metrics table's header row is written twice"
grep -n 'StatefulRedis` .*Startup failed.*a bad decorated task' docs/operations.md >/dev/null &&
  say "docs/operations.md: 'Startup failed' for a bad decorated task is logged under DistributedScheduler, not StatefulRedis"
grep -q 'ON CONFLICT (task) DO UPDATE' docs/scheduler.md &&
  say "docs/scheduler.md: the fenced-write example keys by task only (each fire overwrites the last), against its own advice"
grep -q 'CommonJS, what `nest new` installs' .ci/install-matrix/apps/nest12-readme/package.json &&
  say ".ci/install-matrix/apps/nest12-readme: 'CommonJS, what nest new installs' - nest new 12 makes an ESM app with isolatedModules"
grep -q 'isolatedModules' test/docs/doc-snippets.spec.ts ||
  say "test/docs/doc-snippets.spec.ts: compiles without isolatedModules, which nest new's tsconfig sets"
grep -q '"repository"' package.json || say "package.json: no repository field: the README's relative links break on the registry page"
grep -q 'browser/' docs/architecture.md || say "docs/architecture.md: no word of browser/ (the dashboard's script source)"
exit $p
