// Celery's task states (celery/states.py), the strings stored in a result's
// `status` field.

export const PENDING = 'PENDING';
export const RECEIVED = 'RECEIVED';
export const STARTED = 'STARTED';
export const SUCCESS = 'SUCCESS';
export const FAILURE = 'FAILURE';
export const REVOKED = 'REVOKED';
export const REJECTED = 'REJECTED';
export const RETRY = 'RETRY';
export const IGNORED = 'IGNORED';

export type KnownTaskState =
  | typeof PENDING
  | typeof RECEIVED
  | typeof STARTED
  | typeof SUCCESS
  | typeof FAILURE
  | typeof REVOKED
  | typeof REJECTED
  | typeof RETRY
  | typeof IGNORED;

/** A state name: one of Celery's, or a custom one a task set with update_state. */
export type TaskState = KnownTaskState | (string & {});

/** States after which the result never changes: waiting stops here. */
export const READY_STATES: ReadonlySet<string> = new Set([SUCCESS, FAILURE, REVOKED]);
/** States whose `result` holds an exception in Celery's JSON form. */
export const EXCEPTION_STATES: ReadonlySet<string> = new Set([RETRY, FAILURE, REVOKED]);
/** States that make `get()` raise (when propagating). */
export const PROPAGATE_STATES: ReadonlySet<string> = new Set([FAILURE, REVOKED]);
