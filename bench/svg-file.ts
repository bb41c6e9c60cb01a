import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

/** Writes an SVG and, when `rsvg-convert` (Debian `librsvg2-bin`) is installed, its PNG. Returns the files written. */
export function writeSvgAndPng(svg: string, svgPath: string, pngPath: string): string[] {
  writeFileSync(svgPath, svg);
  try {
    execFileSync('rsvg-convert', ['--format', 'png', '--output', pngPath, svgPath], { stdio: 'ignore' });
    return [svgPath, pngPath];
  } catch {
    // No rsvg-convert: the SVG is there.
    return [svgPath];
  }
}

/** Escapes text for an SVG text node. */
export const escapeSvg = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
