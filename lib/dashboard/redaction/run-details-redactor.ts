import { Inject, Injectable, Logger } from '@nestjs/common';
import { DashboardSources } from '../dashboard-sources';
import { DASHBOARD_LOGGER_CONTEXT, DASHBOARD_RESOLVED_OPTIONS } from '../dashboard.constants';
import type { ResolvedStatefulDashboardOptions } from '../interfaces/stateful-dashboard-options.interface';
import type { ViewCell } from '../views/dashboard-view.interface';
import { connectionCredentialsRule } from './connection-credentials';
import { errorPreview, payloadPreview, stackPreview, TextRule } from './payload-preview';
import { describeValue } from './value-description';

const WITHOUT_GUARD =
  'Payloads and run errors show only behind a guard (the dashboard option guard): without one, whoever ' +
  'reaches the app reads this page';

const APP_RULE_FAILED = "Hidden: the dashboard's redact option failed on it (the application log says so)";

/** A payload as its type and size: `[hidden: object, 4 keys, 245 bytes]`. */
function hiddenPayload(payload: unknown, why: string): ViewCell {
  const json = JSON.stringify(payload) ?? 'null';
  return { text: `[hidden: ${describeValue(payload)}, ${Buffer.byteLength(json)} bytes]`, title: why, mono: true };
}

/** An error message as its size: `[hidden: 187 chars]`. */
function hiddenError(message: string, why: string): ViewCell {
  return { text: `[hidden: ${message.length} chars]`, title: why, tone: 'bad' };
}

/**
 * What the dashboard shows of the texts a task's code hands it: payloads and run errors. Without a guard,
 * nothing but their type and size (anyone who reaches the app could read them). Behind one, the text with the
 * library's rules applied (secrets named or seen in passing), then the credentials of the app's own Redis
 * connection taken out, then the app's `redact` rules; a text those fail on is hidden, and the log says so once.
 */
@Injectable()
export class RunDetailsRedactor {
  private readonly logger = new Logger(DASHBOARD_LOGGER_CONTEXT);
  private connectionRule?: TextRule;
  private failureLogged = false;

  constructor(
    @Inject(DASHBOARD_RESOLVED_OPTIONS) private readonly options: ResolvedStatefulDashboardOptions,
    private readonly sources: DashboardSources,
  ) {}

  /** A task's payload, as a cell. */
  payload(payload: unknown): ViewCell {
    // A task without a payload: nothing to hide.
    if (payload === null || payload === undefined) return { text: 'null', mono: true };
    if (this.options.guard === null) return hiddenPayload(payload, WITHOUT_GUARD);
    const text = this.shown(() => payloadPreview(payload, (json) => this.applyRules(json)));
    return text === null ? hiddenPayload(payload, APP_RULE_FAILED) : { text, mono: true };
  }

  /** A run's error message, as a cell; its stack's first frame under it and the whole stack on hover. */
  error(message: string, stack: string | null = null): ViewCell {
    if (this.options.guard === null) return hiddenError(message, WITHOUT_GUARD);
    const text = this.shown(() => errorPreview(message, (redacted) => this.applyRules(redacted)));
    if (text === null) return hiddenError(message, APP_RULE_FAILED);
    const frames =
      stack === null ? null : this.shown(() => stackPreview(stack, (redacted) => this.applyRules(redacted)));
    if (frames === null) return { text, tone: 'bad' };
    return { text, tone: 'bad', sub: frames.trimStart().split('\n', 1)[0], title: frames };
  }

  private applyRules(text: string): string {
    const { core } = this.sources;
    this.connectionRule ??= connectionCredentialsRule(core.options, core.connection.client);
    const withoutCredentials = this.connectionRule(text);
    const appRule = this.options.redact;
    if (appRule === null) return withoutCredentials;
    const result: unknown = appRule(withoutCredentials);
    if (typeof result !== 'string') throw new TypeError(`returned ${typeof result}, not a string`);
    return result;
  }

  /** The text `preview` makes, or `null` when the app's rules failed on it. */
  private shown(preview: () => string): string | null {
    try {
      return preview();
    } catch (error) {
      if (!this.failureLogged) {
        this.failureLogged = true;
        // Not the error's message: it may quote the very text it failed on.
        this.logger.warn(
          `The dashboard's redact option failed (${(error as Error)?.name ?? typeof error}): the payloads and ` +
            'run errors it fails on are hidden. Said once.',
        );
      }
      return null;
    }
  }
}
