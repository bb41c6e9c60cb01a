// The fenced code blocks of a Markdown document: what the doc-snippet test type-checks, and what the install matrix
// assembles its README app from. No imports beyond Node's, so that the install matrix can compile this file alone.

/** A fenced code block of a Markdown document. */
export interface CodeBlock {
  /** The language of the fence (`ts`, `bash`, ...), lower-cased; `''` without one. */
  readonly language: string;
  /** The 1-based line of the first line of code (the line after the opening fence). */
  readonly line: number;
  readonly code: string;
  /**
   * Marked as a fragment (a ```` ```ts fragment ```` fence, or a `<!-- snippet: fragment -->` line just before
   * it): a piece of a larger file that does not compile alone. The doc-snippet test skips it.
   */
  readonly fragment: boolean;
  /** The app file the block is (its first line is a comment naming it, e.g. `// src/app.module.ts`). */
  readonly appFile?: string;
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)\s*(.*)$/;
const FRAGMENT_MARK = /^<!--\s*snippet:\s*fragment\b.*-->$/;
const APP_FILE = /^\/\/ (src\/[\w./-]+\.ts)$/;

/** Whether `line` closes a block opened by `fence`: the same character, at least as many, nothing else. */
function closes(line: string, fence: string): boolean {
  const mark = line.trim();
  return mark.length >= fence.length && mark === fence[0].repeat(mark.length);
}

/** Every fenced code block of `markdown`, in document order. */
export function codeBlocks(markdown: string): CodeBlock[] {
  const lines = markdown.split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]);
    if (!open) continue;
    const [, indent, fence, language, info] = open;
    const close = lines.findIndex((line, j) => j > i && closes(line, fence));
    const end = close === -1 ? lines.length : close;
    const code = lines
      .slice(i + 1, end)
      .map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line))
      .join('\n');
    const marked = lines
      .slice(0, i)
      .reverse()
      .find((line) => line.trim() !== '');
    blocks.push({
      language: language.toLowerCase(),
      line: i + 2,
      code,
      fragment: /\bfragment\b/.test(info) || FRAGMENT_MARK.test(marked?.trim() ?? ''),
      appFile: APP_FILE.exec(code.split('\n', 1)[0])?.[1],
    });
    i = end;
  }
  return blocks;
}

/** The lines of `markdown` outside its fenced code blocks (the prose, headings and tables). */
export function proseLines(markdown: string): string[] {
  const lines = markdown.split('\n');
  const inside = new Set(codeBlocks(markdown).flatMap((block) => lineNumbers(block)));
  return lines.filter((_, index) => !inside.has(index + 1));
}

/** The 1-based lines a block covers, its fences included. */
function lineNumbers(block: CodeBlock): number[] {
  const count = block.code.split('\n').length;
  return Array.from({ length: count + 2 }, (_, i) => block.line - 1 + i);
}

/** Whether a block is TypeScript (```` ```ts ```` or ```` ```typescript ````). */
export function isTypeScript(block: CodeBlock): boolean {
  return block.language === 'ts' || block.language === 'typescript';
}

/** The packages of the `npm install` lines of a document's shell blocks, in order, each once. */
export function installedPackages(markdown: string): string[] {
  const packages = codeBlocks(markdown)
    .filter((block) => block.language === 'bash' || block.language === 'sh')
    .flatMap((block) => block.code.split('\n'))
    .map((line) => line.replace(/#.*/, '').trim())
    .filter((line) => /^npm (install|i) /.test(line))
    .flatMap((line) => line.split(/\s+/).slice(2))
    .filter((word) => !word.startsWith('-'));
  return [...new Set(packages)];
}
