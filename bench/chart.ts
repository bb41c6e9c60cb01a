import { escapeSvg, writeSvgAndPng } from './svg-file';
import type { RatioRow, TargetCheck } from './report';

interface Series {
  label: string;
  color: string;
  value: (ratio: RatioRow) => number | undefined;
  /** The target the bar is held against, drawn as a tick. */
  target: (ratio: RatioRow) => number | undefined;
}

const SERIES: Series[] = [
  { label: 'library ÷ raw ioredis', color: '#2b6cb0', value: (r) => r.libraryVsRaw, target: () => 0.9 },
  { label: 'library ÷ naive port', color: '#dd6b20', value: (r) => r.libraryVsNaive, target: () => 1.0 },
  {
    label: 'library ÷ autopipelined ioredis',
    color: '#6b46c1',
    value: (r) => r.libraryVsAutopipelined,
    target: () => 1.0,
  },
  {
    label: 'library + near-cache ÷ raw ioredis',
    color: '#2f855a',
    value: (r) => r.nearCacheVsRaw,
    target: (r) => (r.op === 'gatewayMix' ? 3 : undefined),
  },
];

/**
 * The throughput ratios at 256 callers as a horizontal bar chart on a log scale (SVG), one group
 * per operation, with each bar's target as a black tick; converted to PNG when `rsvg-convert`
 * (Debian `librsvg2-bin`) is installed. Returns the files written.
 */
export function writeRatioChart(
  ratios: readonly RatioRow[],
  checks: readonly TargetCheck[],
  svgPath: string,
  pngPath: string,
  subtitle: string,
): string[] {
  const width = 960;
  const left = 210;
  const right = 40;
  // The legend: its entries side by side from the left edge, on as many lines as they need.
  const legend: Array<{ x: number; line: number; series?: Series }> = [];
  {
    let lx = 20;
    let line = 0;
    for (const entry of [...SERIES, undefined]) {
      const entryWidth = 17 + (entry ? entry.label.length : 'target'.length) * 7.2 + 16;
      if (lx + entryWidth > width - 20) {
        lx = 20;
        line++;
      }
      legend.push({ x: lx, line, series: entry });
      lx += entryWidth;
    }
  }
  const legendLines = legend[legend.length - 1].line + 1;
  const top = 74 + 18 * legendLines;
  const barHeight = 14;
  const groupGap = 16;
  const present = (ratio: RatioRow) => SERIES.filter((series) => series.value(ratio) !== undefined);
  const groupsHeight = ratios.reduce((sum, ratio) => sum + present(ratio).length * barHeight + groupGap, 0);
  const height = top + groupsHeight + 56;
  const min = 0.25;
  const max = Math.max(
    16,
    ...ratios
      .flatMap((ratio) => SERIES.map((series) => series.value(ratio) ?? 0))
      .map((value) => 2 ** Math.ceil(Math.log2(value))),
  );
  const x = (value: number) =>
    left +
    ((Math.log2(Math.max(value, min)) - Math.log2(min)) / (Math.log2(max) - Math.log2(min))) * (width - left - right);

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Arial, sans-serif">`,
  );
  parts.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  parts.push(
    `<text x="${left}" y="26" font-size="17" font-weight="bold">Throughput at 256 concurrent callers, as a ratio (log scale)</text>`,
  );
  parts.push(`<text x="${left}" y="46" font-size="12" fill="#4a5568">${escapeSvg(subtitle)}</text>`);
  for (const { x: lx, line, series } of legend) {
    const ly = 58 + 18 * line;
    if (series) {
      parts.push(`<rect x="${lx}" y="${ly}" width="12" height="12" fill="${series.color}"/>`);
      parts.push(`<text x="${lx + 17}" y="${ly + 11}" font-size="12">${escapeSvg(series.label)}</text>`);
    } else {
      parts.push(`<line x1="${lx}" y1="${ly - 1}" x2="${lx}" y2="${ly + 13}" stroke="#000" stroke-width="2"/>`);
      parts.push(`<text x="${lx + 6}" y="${ly + 11}" font-size="12">target</text>`);
    }
  }
  for (let tick = min; tick <= max; tick *= 2) {
    const tx = x(tick);
    parts.push(
      `<line x1="${tx}" y1="${top - 6}" x2="${tx}" y2="${top + groupsHeight}" stroke="${tick === 1 ? '#718096' : '#e2e8f0'}" stroke-width="1"/>`,
    );
    parts.push(
      `<text x="${tx}" y="${top + groupsHeight + 16}" font-size="11" text-anchor="middle" fill="#4a5568">${tick}×</text>`,
    );
  }
  let y = top;
  for (const ratio of ratios) {
    const bars = present(ratio);
    const failed = checks.some((check) => check.op === ratio.op && !check.pass && !check.target.startsWith('p99'));
    parts.push(
      `<text x="${left - 10}" y="${y + (bars.length * barHeight) / 2 + 4}" font-size="13" text-anchor="end"${failed ? ' fill="#c53030"' : ''}>${escapeSvg(ratio.op)}</text>`,
    );
    for (const series of bars) {
      const value = series.value(ratio)!;
      parts.push(
        `<rect x="${left}" y="${y + 1}" width="${Math.max(1, x(value) - left)}" height="${barHeight - 2}" fill="${series.color}"/>`,
      );
      parts.push(
        `<text x="${x(value) + 4}" y="${y + barHeight - 3}" font-size="10" fill="#1a202c">${value.toFixed(2)}×</text>`,
      );
      const target = series.target(ratio);
      if (target !== undefined)
        parts.push(
          `<line x1="${x(target)}" y1="${y}" x2="${x(target)}" y2="${y + barHeight}" stroke="#000" stroke-width="2"/>`,
        );
      y += barHeight;
    }
    y += groupGap;
  }
  parts.push(
    `<text x="${left}" y="${height - 14}" font-size="11" fill="#4a5568">Each bar: median over rounds of the per-round ratio (implementations interleaved). bench/results/latest.json has every figure.</text>`,
  );
  parts.push('</svg>');
  return writeSvgAndPng(parts.join('\n') + '\n', svgPath, pngPath);
}
