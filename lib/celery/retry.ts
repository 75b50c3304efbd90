// celery.exceptions.Retry: what `this.retry()` throws inside a task. The
// worker catches it, publishes the task again (same id, retries + 1, after
// the countdown), stores the RETRY state and acks the original message.
import { CeleryException, type CeleryExceptionOptions } from './exceptions';

export interface RetryDetails {
  /** The exception that caused the retry (stored with the RETRY state), if any. */
  exc?: unknown;
  /** Seconds to wait before running again. */
  countdown?: number;
  /** Or the instant to run again. */
  eta?: Date | string;
  /** New arguments for the retried task (default: the same). */
  args?: readonly unknown[];
  kwargs?: Readonly<Record<string, unknown>>;
}

function describeWhen(details: RetryDetails): string {
  if (details.eta !== undefined) return `Retry at ${details.eta instanceof Date ? details.eta.toISOString() : details.eta}`;
  if (details.countdown !== undefined) return `Retry in ${details.countdown}s`;
  return 'Retry';
}

export class Retry extends CeleryException {
  readonly details: Readonly<RetryDetails>;

  constructor(details: RetryDetails = {}, options: CeleryExceptionOptions = {}) {
    const exc = details.exc;
    const why = exc instanceof Error ? `${exc.name}: ${exc.message}` : exc === undefined ? null : String(exc);
    const message = why === null ? describeWhen(details) : `${describeWhen(details)}: ${why}`;
    super('Retry', [message], { ...options, module: 'celery.exceptions', cause: exc });
    this.details = Object.freeze({ ...details });
  }
}
