import type { LoggerService, LogLevel } from '@nestjs/common';
import { inspect } from 'node:util';

export interface CapturedLine {
  level: LogLevel;
  /** The message and every extra parameter (context, stack), as one searchable string. */
  text: string;
  message: unknown;
  context?: string;
}

/**
 * A Nest `LoggerService` that keeps every line instead of printing it, for
 * `Test.createTestingModule(...).setLogger(logger)` or `app.useLogger(logger)`.
 */
export class CapturingLogger implements LoggerService {
  readonly lines: CapturedLine[] = [];

  log(message: unknown, ...params: unknown[]): void {
    this.capture('log', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.capture('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.capture('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.capture('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.capture('verbose', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.capture('fatal', message, params);
  }

  /** Lines of one level, optionally only those whose text matches. */
  find(level: LogLevel, match?: RegExp | string): CapturedLine[] {
    return this.lines.filter(
      (line) =>
        line.level === level &&
        (match === undefined || (typeof match === 'string' ? line.text.includes(match) : match.test(line.text))),
    );
  }

  /** Every captured line as one string, for "never contains" checks. */
  allText(): string {
    return this.lines.map((line) => `[${line.level}] ${line.text}`).join('\n');
  }

  clear(): void {
    this.lines.length = 0;
  }

  private capture(level: LogLevel, message: unknown, params: unknown[]): void {
    const parts = [message, ...params].map((part) => (typeof part === 'string' ? part : inspect(part, { depth: 5 })));
    const context =
      params.length > 0 && typeof params[params.length - 1] === 'string'
        ? (params[params.length - 1] as string)
        : undefined;
    this.lines.push({ level, text: parts.join(' '), message, context });
  }
}

/** A logger that drops everything. */
export const silentLogger: LoggerService = { log() {}, warn() {}, error() {}, debug() {}, verbose() {}, fatal() {} };
