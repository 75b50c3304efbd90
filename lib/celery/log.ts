// Where the Celery layer reports what it cannot return to a caller: a message
// it dropped or could not restore, a control command it ignored. The worker
// passes its own logger; the default writes warnings and errors to stderr.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Receives one log line. Must not throw. */
export type CeleryLogger = (level: LogLevel, message: string) => void;

export const defaultLogger: CeleryLogger = (level, message) => {
  if (level === 'warn' || level === 'error') process.stderr.write(`[greenhub.celery] ${level}: ${message}\n`);
};
