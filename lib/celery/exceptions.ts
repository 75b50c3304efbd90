// Exceptions in Celery's JSON form. A failed task's result is stored as
// {exc_type, exc_message, exc_module} (celery/backends/base.py,
// prepare_exception): exc_message holds the exception's *args* as a list, and
// a Python client rebuilds the exception by importing exc_module and calling
// the class with those args — a class it cannot find becomes a generic
// Exception subclass with that name. greenhub maps both ways:
// `toCeleryException()` turns what a JS task threw into that form, and
// `fromCeleryException()` turns a stored failure back into a JS error that
// keeps the Python type and module.
import { pythonRepr } from './pyrepr';

/** The JSON object stored as a failed task's `result`. */
export interface CeleryExceptionInfo {
  exc_type: string;
  /** The exception's args (a list); older producers stored a bare message. */
  exc_message: unknown;
  exc_module: string | null;
}

export interface CeleryExceptionOptions {
  /** Python module of the exception class; null when unknown. */
  module?: string | null;
  traceback?: string | null;
  taskId?: string | null;
  cause?: unknown;
}

// Python's built-in exception classes a task may fail with. An error whose
// name is one of these travels as `builtins.<name>`, so Python's get() raises
// the real class. BaseException's direct children (SystemExit,
// KeyboardInterrupt, GeneratorExit) are left out on purpose: raising them in
// a Python client would stop it instead of reporting a failed task.
const PYTHON_BUILTIN_EXCEPTIONS: ReadonlySet<string> = new Set([
  'ArithmeticError', 'AssertionError', 'AttributeError', 'BlockingIOError', 'BrokenPipeError', 'BufferError',
  'ChildProcessError', 'ConnectionAbortedError', 'ConnectionError', 'ConnectionRefusedError',
  'ConnectionResetError', 'EOFError', 'EnvironmentError', 'Exception', 'FileExistsError', 'FileNotFoundError',
  'FloatingPointError', 'IOError', 'ImportError', 'IndentationError', 'IndexError', 'InterruptedError',
  'IsADirectoryError', 'KeyError', 'LookupError', 'MemoryError', 'ModuleNotFoundError', 'NameError',
  'NotADirectoryError', 'NotImplementedError', 'OSError', 'OverflowError', 'PermissionError',
  'ProcessLookupError', 'RecursionError', 'ReferenceError', 'RuntimeError', 'StopAsyncIteration',
  'StopIteration', 'SyntaxError', 'SystemError', 'TabError', 'TimeoutError', 'TypeError',
  'UnboundLocalError', 'UnicodeDecodeError', 'UnicodeEncodeError', 'UnicodeError', 'UnicodeTranslateError',
  'ValueError', 'ZeroDivisionError',
]);

/** The module a JS error's class is reported under when Python has no such class. */
export const JS_EXCEPTION_MODULE = 'greenhub';

/** What Python's str(exc) shows for an exception with these args. */
export function pythonExceptionText(excType: string, args: readonly unknown[]): string {
  if (args.length === 0) return '';
  if (args.length === 1) {
    const [only] = args;
    // KeyError is the one built-in whose str() is the repr of its key.
    if (typeof only === 'string' && excType !== 'KeyError') return only;
    return pythonRepr(only);
  }
  return `(${args.map((a) => pythonRepr(a)).join(', ')})`;
}

/**
 * An exception known by its Python identity: a failure read from the result
 * backend, or one of Celery's own exceptions raised by the worker. `name` is
 * the Python class name so a stack trace reads like Python's last line.
 */
export class CeleryException extends Error {
  readonly excType: string;
  readonly excModule: string | null;
  readonly excArgs: readonly unknown[];
  /** Python's formatted traceback (or the JS stack) stored with the failure. */
  traceback: string | null;
  taskId: string | null;

  constructor(excType: string, args: readonly unknown[] = [], options: CeleryExceptionOptions = {}) {
    super(pythonExceptionText(excType, args), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = excType;
    this.excType = excType;
    this.excModule = options.module === undefined ? null : options.module;
    this.excArgs = Object.freeze([...args]);
    this.traceback = options.traceback ?? null;
    this.taskId = options.taskId ?? null;
  }

  /** The dotted Python name, e.g. `builtins.ValueError`. */
  get qualifiedName(): string {
    return this.excModule ? `${this.excModule}.${this.excType}` : this.excType;
  }
}

/** billiard.exceptions.TimeLimitExceeded: the hard time limit killed the task. */
export class TimeLimitExceeded extends CeleryException {
  constructor(seconds: number, options: CeleryExceptionOptions = {}) {
    super('TimeLimitExceeded', [seconds], { ...options, module: 'billiard.exceptions' });
  }
}

/** billiard.exceptions.SoftTimeLimitExceeded: raised inside the task at its soft limit. */
export class SoftTimeLimitExceeded extends CeleryException {
  constructor(options: CeleryExceptionOptions = {}) {
    super('SoftTimeLimitExceeded', [], { ...options, module: 'billiard.exceptions' });
  }
}

/** billiard.exceptions.WorkerLostError: the process running the task died. */
export class WorkerLostError extends CeleryException {
  constructor(message: string, options: CeleryExceptionOptions = {}) {
    super('WorkerLostError', [message], { ...options, module: 'billiard.exceptions' });
  }
}

/** celery.exceptions.TaskRevokedError: stored as a REVOKED result; reason is 'revoked', 'expired' or 'terminated'. */
export class TaskRevokedError extends CeleryException {
  constructor(reason: string, options: CeleryExceptionOptions = {}) {
    super('TaskRevokedError', [reason], { ...options, module: 'celery.exceptions' });
  }
}

/** celery.exceptions.NotRegistered: no task of that name on the worker. */
export class NotRegistered extends CeleryException {
  constructor(taskName: string, options: CeleryExceptionOptions = {}) {
    super('NotRegistered', [taskName], { ...options, module: 'celery.exceptions' });
  }
}

/** celery.exceptions.MaxRetriesExceededError: retry() past max_retries with no exception to re-raise. */
export class MaxRetriesExceededError extends CeleryException {
  constructor(message: string, options: CeleryExceptionOptions = {}) {
    super('MaxRetriesExceededError', [message], { ...options, module: 'celery.exceptions' });
  }
}

type Rebuild = (args: readonly unknown[], options: CeleryExceptionOptions) => CeleryException;

const KNOWN: ReadonlyMap<string, Rebuild> = new Map<string, Rebuild>([
  ['billiard.exceptions.TimeLimitExceeded', (a, o) => new TimeLimitExceeded(Number(a[0]), o)],
  ['billiard.exceptions.SoftTimeLimitExceeded', (_a, o) => new SoftTimeLimitExceeded(o)],
  ['billiard.exceptions.WorkerLostError', (a, o) => new WorkerLostError(String(a[0] ?? ''), o)],
  ['celery.exceptions.TaskRevokedError', (a, o) => new TaskRevokedError(String(a[0] ?? ''), o)],
  ['celery.exceptions.NotRegistered', (a, o) => new NotRegistered(String(a[0] ?? ''), o)],
  ['celery.exceptions.MaxRetriesExceededError', (a, o) => new MaxRetriesExceededError(String(a[0] ?? ''), o)],
]);

// Celery's ensure_serializable(): an argument that JSON cannot carry is
// replaced by its repr, so storing a failure never fails.
function serializableArgs(args: readonly unknown[]): unknown[] {
  return args.map((arg) => {
    try {
      return JSON.stringify(arg) === undefined ? pythonRepr(arg) : arg;
    } catch {
      return pythonRepr(arg);
    }
  });
}

function ownString(error: object, key: string): string | undefined {
  const value: unknown = (error as Record<string, unknown>)[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * What a JS task threw, in Celery's JSON form. A CeleryException keeps its
 * Python identity. Another Error travels under its `name`: a Python built-in
 * name (TypeError, ValueError, KeyError...) as `builtins.<name>`, any other
 * under module `greenhub`, which Python turns into a generic Exception
 * subclass of that name. An error may also name its Python identity with
 * string properties `excType`/`excModule`. A thrown non-Error becomes a
 * builtins.Exception with its text.
 */
export function toCeleryException(thrown: unknown): CeleryExceptionInfo {
  if (thrown instanceof CeleryException) {
    return { exc_type: thrown.excType, exc_message: serializableArgs(thrown.excArgs), exc_module: thrown.excModule };
  }
  if (thrown instanceof Error) {
    const type = ownString(thrown, 'excType') ?? (thrown.name || thrown.constructor?.name || 'Error');
    const module = ownString(thrown, 'excModule') ?? (PYTHON_BUILTIN_EXCEPTIONS.has(type) ? 'builtins' : JS_EXCEPTION_MODULE);
    return { exc_type: type, exc_message: [thrown.message], exc_module: module };
  }
  const text = typeof thrown === 'string' ? thrown : pythonRepr(thrown);
  return { exc_type: 'Exception', exc_message: [text], exc_module: 'builtins' };
}

/** The traceback stored with a failure: the JS stack, or null without one. */
export function tracebackOf(thrown: unknown): string | null {
  if (thrown instanceof CeleryException && thrown.traceback !== null) return thrown.traceback;
  if (thrown instanceof Error && typeof thrown.stack === 'string') return `${thrown.stack}\n`;
  return null;
}

/** True when `value` has the shape of a stored exception. */
export function isCeleryExceptionInfo(value: unknown): value is CeleryExceptionInfo {
  return (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    typeof (value as Record<string, unknown>).exc_type === 'string'
  );
}

/**
 * A stored failure as a JS error. Celery's own exceptions come back as their
 * JS classes (TimeLimitExceeded, TaskRevokedError...), any other as a
 * CeleryException carrying the Python type, module and args. A value that is
 * not in Celery's form (a producer that stored something else) becomes a
 * generic `Exception` whose args hold it.
 */
export function fromCeleryException(value: unknown, options: Omit<CeleryExceptionOptions, 'module'> = {}): CeleryException {
  if (!isCeleryExceptionInfo(value)) return new CeleryException('Exception', [value ?? ''], { ...options, module: null });
  const raw = value.exc_message;
  const args = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  const module = typeof value.exc_module === 'string' ? value.exc_module : null;
  const rebuild = module === null ? undefined : KNOWN.get(`${module}.${value.exc_type}`);
  if (rebuild) return rebuild(args, options);
  return new CeleryException(value.exc_type, args, { ...options, module });
}
