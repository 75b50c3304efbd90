// Errors crossing back from a pool thread, rebuilt in the hub's thread, and
// the pool's own errors.

/** How the worker sends an error (see worker-source.ts). */
export interface SerializedError {
  name?: string;
  message?: string;
  stack?: string;
  fields?: Record<string, unknown>;
  cause?: SerializedError;
  /** A thrown value that is not an Error. */
  thrown?: unknown;
}

const BUILTIN: Record<string, new (message?: string) => Error> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

/**
 * The error a task raised: the same name, message, stack (the worker's)
 * and own properties (code, errno...), and the built-in class when it was
 * one (a TypeError is a TypeError); other classes arrive as an Error whose
 * name is the class's name.
 */
export function deserializeError(data: SerializedError): unknown {
  if (!('name' in data) && 'thrown' in data) return data.thrown;
  const name = data.name ?? 'Error';
  const Builtin = Object.prototype.hasOwnProperty.call(BUILTIN, name) ? BUILTIN[name] : Error;
  const error = new Builtin(data.message ?? '');
  if (error.name !== name) {
    Object.defineProperty(error, 'name', { value: name, writable: true, configurable: true, enumerable: false });
  }
  if (data.stack !== undefined) {
    Object.defineProperty(error, 'stack', { value: data.stack, writable: true, configurable: true, enumerable: false });
  }
  if (data.fields !== undefined) Object.assign(error, data.fields);
  if (data.cause !== undefined) {
    Object.defineProperty(error, 'cause', { value: deserializeError(data.cause), writable: true, configurable: true, enumerable: false });
  }
  return error;
}

/** Raised for tasks given to a closed pool, or lost when a pool is killed or a thread dies. */
export class ThreadPoolError extends Error {
  readonly code: string;
  constructor(message: string, code: string) {
    super(message);
    this.name = 'ThreadPoolError';
    this.code = code;
  }
}
