import { escapeSvg, writeSvgAndPng } from './svg-file';

/** The fields of a scheduler result row the chart draws. */
export interface SchedulerChartRow {
  impl: string;
  load: 'steady' | 'spread' | 'herd';
  tasks: number;
  duplicated: number;
  missed: number;
  lagP50Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
}

const BARS: Array<{ label: string; color: string; value: (row: SchedulerChartRow) => number }> = [
  { label: 'lag p50', color: '#90cdf4', value: (row) => row.lagP50Ms },
  { label: 'lag p99', color: '#2b6cb0', value: (row) => row.lagP99Ms },
  { label: 'lag max', color: '#1a365d', value: (row) => row.lagMaxMs },
];

/** The loads in the chart's order, with their section titles. */
const LOADS: Array<{ load: SchedulerChartRow['load']; title: (tasks: string) => string }> = [
  { load: 'steady', title: (tasks) => `steady: ${tasks} tasks every second` },
  {
    load: 'spread',
    title: (tasks) => `spread: ${tasks} tasks every second, due times spread across the second (lag from each one)`,
  },
  { load: 'herd', title: (tasks) => `herd: ${tasks} tasks due in one second` },
];

/** The targets: p99 at the steady load (issue 17), every start of the herd (its max, issue 11); none for spread. */
const TARGETS: Partial<Record<SchedulerChartRow['load'], { ms: number; label: string }>> = {
  steady: { ms: 20, label: 'target p99 ≤ 20 ms' },
  herd: { ms: 2_000, label: 'target max ≤ 2 s' },
};

/**
 * Fire lag (handler start − due time) per implementation, steady load, spread load and herd, as horizontal bars on a
 * log scale (SVG), the target of a load as a dashed line, duplicates and misses written beside the implementation
 * in red; converted to PNG when `rsvg-convert` is installed. Returns the files written.
 */
export function writeSchedulerChart(
  rows: readonly SchedulerChartRow[],
  svgPath: string,
  pngPath: string,
  subtitle: string,
): string[] {
  const width = 960;
  const left = 250;
  const right = 60;
  const barHeight = 13;
  const groupGap = 12;
  const sectionGap = 34;
  const top = 92;
  const loads = LOADS.filter(({ load }) => rows.some((row) => row.load === load));
  const groupHeight = BARS.length * barHeight + groupGap;
  const height =
    top +
    loads.reduce((sum, { load }) => sum + rows.filter((r) => r.load === load).length * groupHeight + sectionGap, 0) +
    30;
  const min = 1;
  const max = 10 ** Math.ceil(Math.log10(Math.max(1_000, ...rows.flatMap((row) => BARS.map((bar) => bar.value(row))))));
  const x = (ms: number) =>
    left +
    ((Math.log10(Math.max(ms, min)) - Math.log10(min)) / (Math.log10(max) - Math.log10(min))) * (width - left - right);

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Arial, sans-serif">`,
  );
  parts.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  parts.push(
    `<text x="20" y="26" font-size="17" font-weight="bold">Scheduler: fire lag (handler start − due time), 3 replicas, log scale</text>`,
  );
  parts.push(`<text x="20" y="46" font-size="12" fill="#4a5568">${escapeSvg(subtitle)}</text>`);
  let lx = 20;
  for (const bar of BARS) {
    parts.push(`<rect x="${lx}" y="58" width="12" height="12" fill="${bar.color}"/>`);
    parts.push(`<text x="${lx + 17}" y="69" font-size="12">${bar.label}</text>`);
    lx += 100;
  }
  parts.push(
    `<line x1="${lx}" y1="64" x2="${lx + 22}" y2="64" stroke="#c53030" stroke-width="2" stroke-dasharray="5,3"/>`,
  );
  parts.push(`<text x="${lx + 28}" y="69" font-size="12">target</text>`);

  let y = top;
  for (const { load, title } of loads) {
    const section = rows.filter((row) => row.load === load);
    const sectionHeight = section.length * groupHeight;
    parts.push(
      `<text x="20" y="${y + 4}" font-size="13" font-weight="bold">${escapeSvg(title(section[0].tasks.toLocaleString('en-US')))}</text>`,
    );
    y += 14;
    for (let tick = min; tick <= max; tick *= 10) {
      parts.push(
        `<line x1="${x(tick)}" y1="${y - 4}" x2="${x(tick)}" y2="${y + sectionHeight}" stroke="#e2e8f0" stroke-width="1"/>`,
      );
      parts.push(
        `<text x="${x(tick)}" y="${y + sectionHeight + 12}" font-size="10" text-anchor="middle" fill="#4a5568">${tick >= 1_000 ? `${tick / 1_000} s` : `${tick} ms`}</text>`,
      );
    }
    const target = TARGETS[load];
    if (target) {
      parts.push(
        `<line x1="${x(target.ms)}" y1="${y - 4}" x2="${x(target.ms)}" y2="${y + sectionHeight}" stroke="#c53030" stroke-width="2" stroke-dasharray="5,3"/>`,
      );
      parts.push(
        `<text x="${x(target.ms) + 4}" y="${y - 10}" font-size="10" fill="#c53030">${escapeSvg(target.label)}</text>`,
      );
    }
    for (const row of section) {
      const wrong = [
        row.duplicated > 0 ? `${row.duplicated.toLocaleString('en-US')} duplicated` : '',
        row.missed > 0 ? `${row.missed.toLocaleString('en-US')} missed` : '',
      ].filter(Boolean);
      const labelY = y + (BARS.length * barHeight) / 2 + 4;
      parts.push(
        `<text x="${left - 10}" y="${labelY - (wrong.length ? 6 : 0)}" font-size="13" text-anchor="end">${escapeSvg(row.impl)}</text>`,
      );
      if (wrong.length)
        parts.push(
          `<text x="${left - 10}" y="${labelY + 9}" font-size="10" text-anchor="end" fill="#c53030">${escapeSvg(wrong.join(', '))}</text>`,
        );
      for (const bar of BARS) {
        const value = bar.value(row);
        parts.push(
          `<rect x="${left}" y="${y + 1}" width="${Math.max(1, x(value) - left)}" height="${barHeight - 2}" fill="${bar.color}"/>`,
        );
        parts.push(
          `<text x="${x(value) + 4}" y="${y + barHeight - 3}" font-size="10" fill="#1a202c">${value} ms</text>`,
        );
        y += barHeight;
      }
      y += groupGap;
    }
    y += sectionGap;
  }
  parts.push(
    `<text x="20" y="${height - 12}" font-size="11" fill="#4a5568">Medians over interleaved rounds; bench/results/latest.json (section scheduler) has every figure.</text>`,
  );
  parts.push('</svg>');
  return writeSvgAndPng(parts.join('\n') + '\n', svgPath, pngPath);
}
