/*
 * What the JSON endpoints answer and the dashboard's script draws: blocks of plain text. The script puts every
 * string into the page as text (textContent, attribute values), never as markup, so a uid, a service name or
 * a task name is shown exactly as it is, whatever it holds.
 */

/** The actions a page may offer; each is `POST api/actions/<name>`. */
export type DashboardActionName = 'set-pod-state' | 'sweep-pod-links' | 'trigger-task' | 'enable-task' | 'disable-task';

/** How a value reads at a glance. */
export type Tone = 'ok' | 'warn' | 'bad' | 'muted' | 'info';

export interface ViewCell {
  text: string;
  /** A second, smaller line (the cron in words under the expression). */
  sub?: string;
  tone?: Tone;
  /** Shown on hover: the exact value behind a rounded or relative one. */
  title?: string;
  /** A dashboard page this cell links to, relative to the dashboard (`task?id=...`). */
  href?: string;
  mono?: boolean;
  /** Drawn as a pill. */
  badge?: boolean;
  /** A thin bar of this share (0..1) under the text. */
  bar?: number;
}

export interface ViewAction {
  action: DashboardActionName;
  label: string;
  args: Record<string, string | number>;
  /** A value picked before sending, sent as `args[choice.name]`. */
  choice?: { name: string; options: string[]; value: string };
  /** Destructive: the first click arms the button with this text, a second one within seconds sends. */
  confirm?: string;
}

interface ViewColumn {
  title: string;
  numeric?: boolean;
}

export interface ViewRow {
  cells: ViewCell[];
  actions?: ViewAction[];
  selected?: boolean;
}

interface TableBlock {
  kind: 'table';
  id: string;
  title: string;
  note?: string;
  columns: ViewColumn[];
  rows: ViewRow[];
  /** Shown instead of the table when there is no row. */
  empty: string;
}

interface FactsBlock {
  kind: 'facts';
  id: string;
  title: string;
  note?: string;
  /** `wide`: a fact on a line of its own (the payload). */
  facts: Array<{ label: string; value: ViewCell; wide?: boolean }>;
  actions?: ViewAction[];
}

interface LagChartBlock {
  kind: 'lag-chart';
  id: string;
  title: string;
  note?: string;
  /** Oldest first. */
  points: Array<{ lagMs: number; tone: Tone; title: string }>;
}

interface LookupBlock {
  kind: 'lookup';
  id: string;
  title: string;
  /** The page the form opens (GET), relative to the dashboard. */
  target: string;
  fields: Array<{ name: string; label: string; value: string; options?: string[]; placeholder?: string }>;
  submit: string;
}

interface NoticeBlock {
  kind: 'notice';
  id: string;
  tone: Tone;
  text: string;
}

export type ViewBlock = TableBlock | FactsBlock | LagChartBlock | LookupBlock | NoticeBlock;

/** One page's content, as `GET api/<page>` answers it. */
export interface DashboardView {
  heading: string;
  subheading?: string;
  /** How soon the page asks again. */
  refreshMs: number;
  blocks: ViewBlock[];
}
