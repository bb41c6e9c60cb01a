import type { ScheduledTask, TaskStatus } from '../../scheduler/interfaces/scheduled-task.interface';
import { describeCron } from './cron-description';
import type { Tone, ViewAction, ViewCell } from './dashboard-view.interface';
import { formatInZone, formatRelative, formatUtc } from './view-format';

const STATUS_TONES: Readonly<Record<TaskStatus, Tone>> = {
  success: 'ok',
  running: 'info',
  pending: 'info',
  retry: 'warn',
  skipped: 'muted',
  missed: 'warn',
  cancelled: 'muted',
  failed: 'bad',
  lost: 'bad',
};

/** The tone of a run status. */
export function statusTone(status: TaskStatus): Tone {
  return STATUS_TONES[status] ?? 'muted';
}

/** A link to a task's page. */
export function taskHref(id: string): string {
  return `task?${new URLSearchParams({ id })}`;
}

/** The cron expression, and in words under it (with the time zone, if asked). */
export function cronCell(task: ScheduledTask, withTimeZone = false): ViewCell {
  const sub = [describeCron(task.cron), withTimeZone ? task.timeZone : null].filter((part) => part !== null);
  return { text: task.cron, mono: true, sub: sub.join(' · ') || undefined };
}

/**
 * A fire time relative to now, under it the wall-clock time in the task's time zone (named, if asked); UTC on
 * hover.
 */
export function taskMomentCell(
  at: Date | null,
  timeZone: string,
  now: number,
  noneText: string,
  nameTimeZone = false,
): ViewCell {
  if (at === null) return { text: noneText, tone: 'muted' };
  const ms = at.getTime();
  const local = formatInZone(ms, timeZone);
  return { text: formatRelative(ms, now), sub: nameTimeZone ? `${local} ${timeZone}` : local, title: formatUtc(ms) };
}

export function lastStatusCell(task: ScheduledTask): ViewCell {
  return task.lastStatus === null
    ? { text: 'never ran', tone: 'muted' }
    : { text: task.lastStatus, tone: statusTone(task.lastStatus), badge: true };
}

export function failuresCell(task: ScheduledTask): ViewCell {
  return {
    text: `${task.failureCount} / ${task.maxConsecutiveFailures}`,
    tone: task.failureCount === 0 ? 'muted' : 'bad',
    title: `Failed fires in a row; the task is disabled at ${task.maxConsecutiveFailures}`,
  };
}

export function enabledCell(task: ScheduledTask): ViewCell {
  return task.enabled ? { text: 'enabled', tone: 'ok', badge: true } : { text: 'disabled', tone: 'muted', badge: true };
}

/** Trigger, and enable or disable. */
export function taskActions(task: ScheduledTask): ViewAction[] {
  const args = { id: task.id };
  return [
    { action: 'trigger-task', label: 'Run now', args },
    task.enabled
      ? { action: 'disable-task', label: 'Disable', args, confirm: 'Disable the schedule?' }
      : { action: 'enable-task', label: 'Enable', args },
  ];
}
