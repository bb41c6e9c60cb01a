/*
 * The dashboard's only script, served as `assets/dashboard.js` (the CSP allows no inline script); `npm run build`
 * type-checks it against the DOM and the views' types and writes it to dist/browser/ as a plain script
 * (browser/build.mjs). It asks the page's JSON endpoint (`data-api` of <body>) for the view, draws it, and asks
 * again every `refreshMs`. Every value from the server is put into the page with textContent, .value or
 * setAttribute, never parsed as markup; links are followed only when they name a dashboard page. Actions are
 * POSTed with the page's CSRF token in a header. A classic script, no module: it imports nothing (the views' types
 * are named with `import()` types, which leave no trace in the script) and keeps its names inside one function.
 */
type DashboardView = import('../lib/dashboard/views/dashboard-view.interface').DashboardView;
type ViewAction = import('../lib/dashboard/views/dashboard-view.interface').ViewAction;
type ViewBlock = import('../lib/dashboard/views/dashboard-view.interface').ViewBlock;
type ViewCell = import('../lib/dashboard/views/dashboard-view.interface').ViewCell;
type Block<Kind extends ViewBlock['kind']> = Extract<ViewBlock, { kind: Kind }>;

(() => {
  /** An element the page is rendered with (dashboard-page.ts). */
  function byId(id: string): HTMLElement {
    const node = document.getElementById(id);
    if (node === null) throw new Error(`The dashboard page has no #${id}`);
    return node;
  }

  const body = document.body;
  const api = body.getAttribute('data-api') ?? '';
  const blocksBox = byId('blocks');
  const heading = byId('heading');
  const subheading = byId('subheading');
  const statusBox = byId('status');
  const toast = byId('toast');
  const csrfMeta = document.querySelector('meta[name="sf-dashboard-csrf"]');
  const csrf = (csrfMeta ? csrfMeta.getAttribute('content') : '') ?? '';
  const TONES = ['ok', 'warn', 'bad', 'muted', 'info'];
  const PAGE_LINK = /^(routing|users|scheduler|task)(\?[^#]*)?$/;
  const SVG = 'http://www.w3.org/2000/svg';
  let refreshMs = 3000;
  let timer = 0;
  let toastTimer = 0;
  let loading = false;
  /** A refresh was asked for while one was under way (after an action): run it when that one ends. */
  let again = false;
  /** Drawn blocks by id: their JSON and node, reused while unchanged. */
  let drawn = new Map<string, { json: string; node: HTMLElement }>();
  /** Values picked in state pickers, kept across redraws. */
  const choices = new Map<string, string>();

  function el<Tag extends keyof HTMLElementTagNameMap>(
    tag: Tag,
    className?: string | null,
    text?: string | number | null,
  ): HTMLElementTagNameMap[Tag] {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function svgEl<Tag extends keyof SVGElementTagNameMap>(
    tag: Tag,
    attributes: Record<string, string | number> = {},
  ): SVGElementTagNameMap[Tag] {
    const node = document.createElementNS(SVG, tag);
    for (const name of Object.keys(attributes)) node.setAttribute(name, String(attributes[name]));
    return node;
  }

  function tone(name: string | undefined): string {
    return 'tone-' + (name !== undefined && TONES.includes(name) ? name : 'muted');
  }

  function formatMs(ms: number): string {
    if (ms < 1000) return Math.round(ms) + ' ms';
    if (ms < 60000) return Math.round(ms / 100) / 10 + ' s';
    return Math.round(ms / 6000) / 10 + ' min';
  }

  /** The message of a JSON answer (`{ message }`), else the status. */
  function messageOf(answer: unknown, response: Response): string {
    const message = (answer as { message?: unknown } | null)?.message;
    return message ? String(message) : 'HTTP ' + response.status;
  }

  function card(block: { id: string; title: string; note?: string }): HTMLElement {
    const section = el('section', 'card');
    section.setAttribute('data-block', block.id);
    const header = el('header');
    header.append(el('h2', null, block.title));
    if (block.note) header.append(el('span', 'note', block.note));
    section.append(header);
    return section;
  }

  function fillCell(td: HTMLElement, data: ViewCell): void {
    let target = td;
    if (data.href && PAGE_LINK.test(data.href)) {
      target = el('a');
      target.setAttribute('href', data.href);
      td.append(target);
    }
    const classes: string[] = [];
    if (data.mono) classes.push('mono');
    if (data.badge) classes.push('badge');
    if (data.tone) classes.push(tone(data.tone));
    target.append(el('span', classes.join(' '), data.text));
    if (data.title) td.setAttribute('title', data.title);
    if (data.sub) td.append(el('span', 'sub', data.sub));
    if (typeof data.bar === 'number') {
      const bar = el('span', 'bar');
      const fill = el('span');
      fill.style.width = (Math.max(0, Math.min(1, data.bar)) * 100).toFixed(1) + '%';
      bar.append(fill);
      td.append(bar);
    }
  }

  function actionControls(actions: ViewAction[]): HTMLElement {
    const box = el('div', 'actions');
    for (const action of actions) {
      const key = action.action + ' ' + JSON.stringify(action.args);
      const choice = action.choice;
      let select: HTMLSelectElement | null = null;
      if (choice) {
        const picker = el('select');
        picker.setAttribute('aria-label', action.label);
        for (const option of choice.options) {
          const item = el('option', null, option);
          item.value = option;
          picker.append(item);
        }
        picker.value = choices.get(key) ?? choice.value;
        picker.addEventListener('change', () => choices.set(key, picker.value));
        box.append(picker);
        select = picker;
      }
      const button = el('button', 'btn' + (action.confirm ? ' danger' : ''), action.label);
      button.type = 'button';
      button.setAttribute('data-action', action.action);
      button.addEventListener('click', () => {
        if (action.confirm && button.getAttribute('data-armed') !== '1') {
          button.setAttribute('data-armed', '1');
          button.classList.add('armed');
          button.textContent = action.confirm;
          setTimeout(() => {
            button.removeAttribute('data-armed');
            button.classList.remove('armed');
            button.textContent = action.label;
          }, 5000);
          return;
        }
        const args: Record<string, string | number> = { ...action.args };
        if (select && choice) args[choice.name] = select.value;
        send(action.action, args, button);
      });
      box.append(button);
    }
    return box;
  }

  function table(block: Block<'table'>): HTMLElement {
    const section = card(block);
    if (block.rows.length === 0) {
      section.append(el('p', 'empty', block.empty));
      return section;
    }
    const withActions = block.rows.some((row) => row.actions !== undefined && row.actions.length > 0);
    const grid = el('table');
    const head = el('tr');
    for (const column of block.columns) head.append(el('th', column.numeric ? 'num' : null, column.title));
    if (withActions) head.append(el('th', 'num', 'Actions'));
    const thead = el('thead');
    thead.append(head);
    const tbody = el('tbody');
    for (const row of block.rows) {
      const tr = el('tr', row.selected ? 'selected' : null);
      row.cells.forEach((data, index) => {
        const td = el('td', block.columns[index]?.numeric ? 'num' : null);
        fillCell(td, data);
        tr.append(td);
      });
      if (withActions) {
        const td = el('td', 'actions-cell');
        if (row.actions) td.append(actionControls(row.actions));
        tr.append(td);
      }
      tbody.append(tr);
    }
    grid.append(thead, tbody);
    const scroll = el('div', 'scroll');
    scroll.append(grid);
    section.append(scroll);
    return section;
  }

  function facts(block: Block<'facts'>): HTMLElement {
    const section = card(block);
    if (block.actions && block.actions.length > 0)
      (section.firstChild as HTMLElement).append(actionControls(block.actions));
    const list = el('dl', 'facts');
    for (const fact of block.facts) {
      const item = el('div', fact.wide ? 'wide' : null);
      item.append(el('dt', null, fact.label));
      const value = el('dd');
      fillCell(value, fact.value);
      item.append(value);
      list.append(item);
    }
    section.append(list);
    return section;
  }

  function niceMax(value: number): number {
    const max = Math.max(value, 10);
    const power = Math.pow(10, Math.floor(Math.log10(max)));
    for (const step of [1, 2, 5, 10]) if (step * power >= max) return step * power;
    return 10 * power;
  }

  function chart(block: Block<'lag-chart'>): HTMLElement {
    const section = card(block);
    if (block.points.length === 0) {
      section.append(el('p', 'empty', 'No run has started yet.'));
      return section;
    }
    const [width, height, left, right, top, bottom] = [1200, 180, 64, 16, 14, 26];
    const plot = height - top - bottom;
    const max = niceMax(Math.max(...block.points.map((point) => point.lagMs)));
    const root = svgEl('svg', { viewBox: '0 0 ' + width + ' ' + height, class: 'chart', role: 'img' });
    root.setAttribute('aria-label', block.title);
    for (const fraction of [0, 0.5, 1]) {
      const y = top + plot * (1 - fraction);
      root.append(svgEl('line', { x1: left, x2: width - right, y1: y, y2: y, class: 'grid' }));
      const label = svgEl('text', { x: left - 8, y: y + 4, 'text-anchor': 'end', class: 'axis' });
      label.textContent = formatMs(max * fraction);
      root.append(label);
    }
    const slot = (width - left - right) / block.points.length;
    const barWidth = Math.max(2, Math.min(26, slot * 0.7));
    block.points.forEach((point, index) => {
      const barHeight = Math.max(1.5, (plot * Math.max(0, point.lagMs)) / max);
      const rect = svgEl('rect', {
        x: (left + index * slot + (slot - barWidth) / 2).toFixed(1),
        y: (top + plot - barHeight).toFixed(1),
        width: barWidth.toFixed(1),
        height: barHeight.toFixed(1),
        rx: 2,
        class: tone(point.tone),
      });
      const title = svgEl('title');
      title.textContent = point.title;
      rect.append(title);
      root.append(rect);
    });
    const oldest = svgEl('text', { x: left, y: height - 6, class: 'axis' });
    oldest.textContent = 'oldest';
    const newest = svgEl('text', { x: width - right, y: height - 6, 'text-anchor': 'end', class: 'axis' });
    newest.textContent = 'newest';
    root.append(oldest, newest);
    section.append(root);
    return section;
  }

  function lookup(block: Block<'lookup'>): HTMLElement {
    const section = card(block);
    const form = el('form', 'lookup');
    form.setAttribute('method', 'get');
    form.setAttribute('action', PAGE_LINK.test(block.target) ? block.target : 'users');
    for (const field of block.fields) {
      const label = el('label', null, field.label);
      let control: HTMLSelectElement | HTMLInputElement;
      if (field.options) {
        control = el('select');
        for (const option of field.options) {
          const item = el('option', null, option);
          item.value = option;
          control.append(item);
        }
      } else {
        control = el('input');
        control.type = 'text';
        if (field.placeholder) control.setAttribute('placeholder', field.placeholder);
      }
      control.name = field.name;
      control.value = field.value;
      label.append(control);
      form.append(label);
    }
    const submit = el('button', 'btn primary', block.submit);
    submit.type = 'submit';
    form.append(submit);
    section.append(form);
    return section;
  }

  function notice(block: Block<'notice'>): HTMLElement {
    const box = el('div', 'notice ' + tone(block.tone), block.text);
    box.setAttribute('data-block', block.id);
    return box;
  }

  /** A block drawn by its kind; a kind this script does not know is drawn as a notice. */
  function drawBlock(block: ViewBlock): HTMLElement {
    switch (block.kind) {
      case 'table':
        return table(block);
      case 'facts':
        return facts(block);
      case 'lag-chart':
        return chart(block);
      case 'lookup':
        return lookup(block);
      default:
        return notice(block);
    }
  }

  function draw(view: DashboardView): void {
    heading.textContent = view.heading;
    subheading.textContent = view.subheading || '';
    document.title = view.heading + ' · Stateful dashboard';
    const next = new Map<string, { json: string; node: HTMLElement }>();
    const nodes = view.blocks.map((block) => {
      const json = JSON.stringify(block);
      const previous = drawn.get(block.id);
      const node = previous && previous.json === json ? previous.node : drawBlock(block);
      next.set(block.id, { json, node });
      return node;
    });
    drawn = next;
    blocksBox.replaceChildren(...nodes);
  }

  /** Someone is choosing or confirming: do not redraw under their hands. */
  function busy(): boolean {
    const active = document.activeElement;
    if (active && blocksBox.contains(active) && (active.tagName === 'SELECT' || active.tagName === 'INPUT'))
      return true;
    return blocksBox.querySelector('[data-armed="1"]') !== null;
  }

  function setStatus(state: 'live' | 'failing', text: string): void {
    statusBox.className = 'status ' + state;
    statusBox.textContent = text;
  }

  function clock(): string {
    return new Date().toLocaleTimeString([], { hour12: false });
  }

  function schedule(ms: number): void {
    clearTimeout(timer);
    timer = setTimeout(refresh, ms);
  }

  /** The view of this page (the page's query passed on), or an error with the server's message. */
  async function fetchView(): Promise<DashboardView> {
    const response = await fetch(api + location.search, {
      headers: { accept: 'application/json' },
      cache: 'no-store',
      credentials: 'same-origin',
    });
    let answer: unknown;
    try {
      answer = await response.json();
    } catch {
      throw new Error('HTTP ' + response.status);
    }
    if (!response.ok) throw new Error(messageOf(answer, response));
    return answer as DashboardView;
  }

  function refresh(force?: boolean): void {
    if (loading) {
      if (force === true) again = true;
      return;
    }
    if (document.hidden) return;
    if (!force && busy()) {
      schedule(1000);
      return;
    }
    loading = true;
    fetchView()
      .then((view) => {
        refreshMs = Math.max(1000, Number(view.refreshMs) || 3000);
        draw(view);
        body.setAttribute('data-loaded', '1');
        setStatus('live', 'Live · updated ' + clock());
      })
      .catch((error: Error) => setStatus('failing', 'Refresh failed: ' + error.message))
      .then(() => {
        loading = false;
        if (again) {
          again = false;
          refresh(true);
        } else {
          schedule(refreshMs);
        }
      });
  }

  function showToast(ok: boolean, text: string): void {
    toast.textContent = text;
    toast.className = ok ? 'tone-ok' : 'tone-bad';
    toast.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => {
      toast.hidden = true;
    }, 6000);
  }

  function send(action: ViewAction['action'], args: ViewAction['args'], button: HTMLButtonElement): void {
    button.disabled = true;
    fetch('api/actions/' + encodeURIComponent(action), {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': csrf },
      body: JSON.stringify(args),
    })
      .then((response) =>
        response.json().then(
          (answer: unknown) => showToast(response.ok, messageOf(answer, response)),
          () => showToast(false, 'HTTP ' + response.status),
        ),
      )
      .catch((error: Error) => showToast(false, 'Request failed: ' + error.message))
      .then(() => {
        button.disabled = false;
        button.removeAttribute('data-armed');
        refresh(true);
      });
  }

  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) refresh(true);
  });
  refresh(true);
})();
