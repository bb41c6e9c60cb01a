import { assetUrl } from '../assets/dashboard-assets';
import { escapeHtml } from './html-escape';

/** The pages of the dashboard, each at `<path>/<page>`, drawn from `<path>/api/<page>`. */
export type DashboardPageName = 'routing' | 'users' | 'scheduler' | 'task';

const NAVIGATION: Array<{ page: DashboardPageName; label: string }> = [
  { page: 'routing', label: 'Routing' },
  { page: 'users', label: 'Users' },
  { page: 'scheduler', label: 'Scheduler' },
];

const TITLES: Record<DashboardPageName, string> = {
  routing: 'Routing',
  users: 'User lookup',
  scheduler: 'Scheduler',
  task: 'Task',
};

export interface PageOptions {
  /** Whether the actions are on (shown in the header). */
  actions: boolean;
  /** The page's CSRF token, when the actions are on. */
  csrfToken?: string;
}

/**
 * The HTML of a page: a frame without data (header, navigation, empty content) that the script fills from
 * the JSON endpoint. Nothing in it comes from a request but the CSRF token, escaped like everything else.
 */
export function renderPage(page: DashboardPageName, options: PageOptions): string {
  const current = page === 'task' ? 'scheduler' : page;
  const navigation = NAVIGATION.map(
    ({ page: target, label }) =>
      `<a href="${target}"${target === current ? ' aria-current="page"' : ''}>${escapeHtml(label)}</a>`,
  ).join('');
  const csrf =
    options.csrfToken === undefined
      ? ''
      : `\n<meta name="sf-dashboard-csrf" content="${escapeHtml(options.csrfToken)}">`;
  const mode = options.actions
    ? '<span class="mode actions" title="Actions are on: changes go to Redis">actions on</span>'
    : '<span class="mode" title="Nothing can be changed from this dashboard">read-only</span>';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">${csrf}
<title>${escapeHtml(TITLES[page])} · Stateful dashboard</title>
<link rel="icon" type="image/svg+xml" href="${assetUrl('icon.svg')}">
<link rel="stylesheet" href="${assetUrl('dashboard.css')}">
<script src="${assetUrl('dashboard.js')}" defer></script>
</head>
<body data-page="${page}" data-api="api/${page}">
<header class="top">
<div class="brand"><img src="${assetUrl('icon.svg')}" alt=""><span>Stateful dashboard</span></div>
<nav>${navigation}</nav>
<div class="spacer"></div>
${mode}
<div id="status" class="status">Loading…</div>
</header>
<main>
<div class="page-head"><h1 id="heading">${escapeHtml(TITLES[page])}</h1><p id="subheading"></p></div>
<div id="blocks"></div>
<noscript>This dashboard draws its pages with JavaScript; the JSON it reads is at api/${page}.</noscript>
</main>
<div id="toast" role="status" hidden></div>
</body>
</html>
`;
}
