/** The dashboard's stylesheet (served as `assets/dashboard.css`; the CSP allows no inline style). */
export const DASHBOARD_STYLE = String.raw`
:root {
  --ink: #1f2937; --ink-soft: #4b5563; --ink-faint: #6b7280; --line: #e5e7eb; --line-soft: #f1f3f5;
  --page: #f4f5f7; --card: #fff; --accent: #4f46e5; --bar: #6366f1;
  --ok: #15803d; --ok-bg: #dcfce7; --warn: #b45309; --warn-bg: #fef3c7; --bad: #b91c1c; --bad-bg: #fee2e2;
  --muted: #6b7280; --muted-bg: #f3f4f6; --info: #1d4ed8; --info-bg: #dbeafe;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--page); color: var(--ink); font: 13.5px/1.45 -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, Inter, "Helvetica Neue", Arial, system-ui, sans-serif; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
.top { display: flex; align-items: center; gap: 24px; padding: 0 24px; height: 52px; background: #111827; color: #f9fafb; }
.brand { display: flex; align-items: center; gap: 10px; font-weight: 600; letter-spacing: .01em; white-space: nowrap; }
.brand img { width: 22px; height: 22px; }
.brand small { font-weight: 400; color: #9ca3af; }
.top nav { display: flex; gap: 4px; }
.top nav a { color: #d1d5db; padding: 6px 12px; border-radius: 6px; font-weight: 500; }
.top nav a:hover { background: #1f2937; color: #fff; text-decoration: none; }
.top nav a[aria-current="page"] { background: #374151; color: #fff; }
.top .spacer { flex: 1; }
.mode { font-size: 12px; padding: 2px 10px; border-radius: 999px; border: 1px solid #374151; color: #d1d5db; white-space: nowrap; }
.mode.actions { border-color: #b45309; color: #fcd34d; }
.status { display: flex; align-items: center; gap: 8px; font-size: 12px; color: #9ca3af; white-space: nowrap; }
.status::before { content: ""; width: 8px; height: 8px; border-radius: 50%; background: #6b7280; }
.status.live::before { background: #22c55e; box-shadow: 0 0 0 3px rgba(34, 197, 94, .2); }
.status.failing::before { background: #ef4444; }
.status.failing { color: #fca5a5; }
main { max-width: 1320px; margin: 0 auto; padding: 22px 24px 48px; }
.page-head { margin-bottom: 16px; }
.page-head h1 { margin: 0; font-size: 20px; font-weight: 600; overflow-wrap: anywhere; }
.page-head p { margin: 2px 0 0; color: var(--ink-faint); overflow-wrap: anywhere; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; margin-bottom: 16px; box-shadow: 0 1px 2px rgba(16, 24, 40, .04); overflow: hidden; }
.card > header { display: flex; align-items: baseline; gap: 12px; padding: 12px 16px; border-bottom: 1px solid var(--line); flex-wrap: wrap; }
.card > header h2 { margin: 0; font-size: 14px; font-weight: 600; overflow-wrap: anywhere; }
.card > header .note { color: var(--ink-faint); font-size: 12px; overflow-wrap: anywhere; }
.card > header .actions { margin-left: auto; }
.card .empty { margin: 0; padding: 18px 16px; color: var(--ink-faint); }
.scroll { overflow-x: auto; }
table { width: 100%; border-collapse: collapse; }
th { text-align: left; font-size: 11px; font-weight: 600; letter-spacing: .04em; text-transform: uppercase; color: var(--ink-faint); background: #f9fafb; padding: 8px 16px; border-bottom: 1px solid var(--line); white-space: nowrap; }
td:first-child { min-width: 130px; }
td { padding: 8px 16px; border-top: 1px solid var(--line-soft); vertical-align: middle; overflow-wrap: anywhere; }
tbody tr:first-child td { border-top: 0; }
tbody tr:hover td { background: #fafbfc; }
tr.selected td { background: #eef2ff; }
tr.selected:hover td { background: #e0e7ff; }
th.num, td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.actions-cell { white-space: nowrap; text-align: right; width: 1%; }
.mono { font-family: var(--mono); font-size: 12.5px; }
.sub { display: block; color: var(--ink-faint); font-size: 12px; margin-top: 1px; }
.tone-ok { color: var(--ok); } .tone-warn { color: var(--warn); } .tone-bad { color: var(--bad); }
.tone-muted { color: var(--muted); } .tone-info { color: var(--info); }
.badge { display: inline-block; padding: 1px 9px; border-radius: 999px; font-size: 12px; font-weight: 500; line-height: 18px; white-space: nowrap; max-width: 100%; overflow: hidden; text-overflow: ellipsis; vertical-align: middle; }
.badge.tone-ok { background: var(--ok-bg); } .badge.tone-warn { background: var(--warn-bg); } .badge.tone-bad { background: var(--bad-bg); }
.badge.tone-muted { background: var(--muted-bg); } .badge.tone-info { background: var(--info-bg); }
.bar { display: block; height: 3px; margin-top: 5px; background: var(--line-soft); border-radius: 2px; width: 120px; max-width: 100%; }
.bar > span { display: block; height: 100%; border-radius: 2px; background: var(--bar); min-width: 2px; }
.actions { display: inline-flex; gap: 6px; align-items: center; }
.btn, select, input { font: inherit; font-size: 12.5px; color: var(--ink); }
.btn { border: 1px solid #d1d5db; background: #fff; border-radius: 6px; padding: 3px 10px; cursor: pointer; line-height: 18px; white-space: nowrap; }
.btn:hover { background: #f9fafb; border-color: #9ca3af; }
.btn:disabled { opacity: .55; cursor: progress; }
.btn.danger { color: var(--bad); }
.btn.armed { background: var(--bad); border-color: var(--bad); color: #fff; }
.btn.primary { background: var(--accent); border-color: var(--accent); color: #fff; padding: 5px 14px; }
select, input { border: 1px solid #d1d5db; border-radius: 6px; padding: 3px 6px; background: #fff; }
.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(240px, 1fr)); gap: 14px 24px; margin: 0; padding: 14px 16px 16px; }
.facts div { min-width: 0; }
.facts dt { font-size: 11px; font-weight: 600; letter-spacing: .04em; text-transform: uppercase; color: var(--ink-faint); }
.facts dd { margin: 2px 0 0; overflow-wrap: anywhere; }
.facts .wide { grid-column: 1 / -1; }
.facts .wide dd { background: #f9fafb; border: 1px solid var(--line-soft); border-radius: 6px; padding: 6px 8px; max-height: 160px; overflow: auto; white-space: pre-wrap; }
.lookup { display: flex; gap: 14px; align-items: flex-end; flex-wrap: wrap; padding: 14px 16px 16px; }
.lookup label { display: flex; flex-direction: column; gap: 4px; font-size: 11px; font-weight: 600; letter-spacing: .04em; text-transform: uppercase; color: var(--ink-faint); }
.lookup input, .lookup select { font-size: 13.5px; padding: 5px 8px; min-width: 200px; text-transform: none; letter-spacing: 0; font-weight: 400; }
.lookup input[name="uid"] { min-width: 320px; }
.notice { padding: 12px 16px; border-radius: 8px; margin-bottom: 16px; border: 1px solid var(--line); border-left-width: 4px; background: var(--card); overflow-wrap: anywhere; }
.notice.tone-ok { border-left-color: var(--ok); } .notice.tone-warn { border-left-color: #f59e0b; }
.notice.tone-bad { border-left-color: var(--bad); } .notice.tone-muted { border-left-color: #9ca3af; color: var(--ink-soft); }
.notice.tone-info { border-left-color: var(--info); }
.chart { display: block; width: 100%; height: auto; padding: 6px 8px 2px; }
.chart .grid { stroke: var(--line); stroke-width: 1; }
.chart .axis { fill: var(--ink-faint); font-size: 11px; font-family: var(--mono); }
.chart rect.tone-ok { fill: #22c55e; } .chart rect.tone-warn { fill: #f59e0b; } .chart rect.tone-bad { fill: #ef4444; }
.chart rect.tone-muted { fill: #9ca3af; } .chart rect.tone-info { fill: #3b82f6; }
#toast { position: fixed; right: 24px; bottom: 24px; max-width: 480px; padding: 10px 16px; border-radius: 8px; background: #111827; color: #f9fafb; box-shadow: 0 8px 24px rgba(0, 0, 0, .18); overflow-wrap: anywhere; border-left: 4px solid #22c55e; }
#toast.tone-bad { border-left-color: #ef4444; }
#toast[hidden] { display: none; }
noscript { display: block; padding: 24px; }
`;
