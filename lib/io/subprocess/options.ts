// Popen's options, checked and turned into what the spawn needs: argv,
// environment pairs and the plan for each of the child's fds 0–2.
import { invalidArgType, invalidArgValue, outOfRange } from '../../loop/errors';
import { validateObject, validateString } from '../../loop/validate';
import type { Command } from './errors';
import type { ChildStdio } from './spawn';

/**
 * One of the child's standard streams:
 * - 'pipe': a green pipe (a Unix socket pair) on popen.stdin/stdout/stderr;
 * - 'inherit': this process's own fd;
 * - 'ignore': /dev/null;
 * - an fd number, or an object with fileno() (a Socket): that open fd.
 */
export type StdioOption = 'pipe' | 'inherit' | 'ignore' | number | { fileno(): number };

/** Encodings text mode accepts. */
export type TextEncoding = 'utf8' | 'utf-8' | 'utf16le' | 'utf-16le' | 'latin1' | 'ascii';

export interface PopenOptions {
  stdin?: StdioOption;
  stdout?: StdioOption;
  /** Also 'stdout': the child's stderr goes where its stdout goes (Python's STDOUT). */
  stderr?: StdioOption | 'stdout';
  /** The child's working directory. */
  cwd?: string;
  /** The child's whole environment (default: this process's). */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * Run through a shell: true for /bin/sh, or a shell's path. args is then
   * the command line (a string, or an array whose first item is the command
   * line and the rest the shell's $0, $1...), as in Python.
   */
  shell?: boolean | string;
  /** The program to execute instead of args[0] (which stays argv[0]). */
  executable?: string;
}

/** Text mode: communicate() and run() return strings. */
export interface TextOptions {
  /** Decode output (and encode string input) as UTF-8, with universal newlines. */
  text?: boolean;
  /** Decode with this encoding instead (implies text). */
  encoding?: TextEncoding;
}

const TEXT_ENCODINGS: readonly string[] = ['utf8', 'utf-8', 'utf16le', 'utf-16le', 'latin1', 'ascii'];

/** The encoding of text mode, or null for bytes. */
export function textEncoding(options: TextOptions): TextEncoding | null {
  const { text, encoding } = options;
  if (text !== undefined && typeof text !== 'boolean') throw invalidArgType('options.text', 'of type boolean', text);
  if (encoding !== undefined) {
    if (typeof encoding !== 'string' || !TEXT_ENCODINGS.includes(encoding)) {
      throw invalidArgValue('options.encoding', `must be one of ${TEXT_ENCODINGS.join(', ')}`, encoding);
    }
    if (text === false) throw invalidArgValue('options.text', 'cannot be false with options.encoding', text);
    return encoding;
  }
  return text === true ? 'utf8' : null;
}

/** What the parent does for one stream. */
export type StreamPlan = { kind: 'pipe' } | { kind: 'child'; stdio: ChildStdio } | { kind: 'stdout' };

export interface PopenPlan {
  file: string;
  argv: string[];
  cwd: string | undefined;
  envPairs: string[];
  streams: [StreamPlan, StreamPlan, StreamPlan];
}

function checkNoNul(name: string, value: string): void {
  if (value.includes('\u0000')) throw invalidArgValue(name, 'must be a string without null bytes', value);
}

function validateStdio(name: string, value: unknown, allowStdout: boolean): StreamPlan {
  if (value === undefined || value === 'inherit') return { kind: 'child', stdio: 'inherit' };
  if (value === 'pipe') return { kind: 'pipe' };
  if (value === 'ignore') return { kind: 'child', stdio: 'ignore' };
  if (value === 'stdout' && allowStdout) return { kind: 'stdout' };
  let fd: unknown = value;
  if (value !== null && typeof value === 'object' && typeof (value as { fileno?: unknown }).fileno === 'function') {
    fd = (value as { fileno(): unknown }).fileno();
  }
  if (typeof fd === 'number') {
    if (!Number.isInteger(fd) || fd < 0 || fd > 0x7fffffff) throw outOfRange(name, 'an open file descriptor (an integer >= 0)', fd);
    return { kind: 'child', stdio: fd };
  }
  const choices = allowStdout ? "'pipe', 'inherit', 'ignore', 'stdout'" : "'pipe', 'inherit', 'ignore'";
  throw invalidArgType(name, `${choices}, a file descriptor or an object with fileno()`, value);
}

/** Checks args and options; throws TypeError/RangeError naming the argument. */
export function planPopen(args: unknown, options: unknown): PopenPlan {
  validateObject('options', options);
  const opts = options as PopenOptions;
  let argv: string[];
  if (typeof args === 'string') {
    argv = [args];
  } else if (Array.isArray(args)) {
    args.forEach((arg: unknown, i) => validateString(`args[${i}]`, arg));
    argv = [...(args as string[])];
  } else {
    throw invalidArgType('args', 'a string or an array of strings', args);
  }
  if (argv.length === 0) throw invalidArgValue('args', 'must not be empty', args);
  argv.forEach((arg, i) => checkNoNul(`args[${i}]`, arg));

  const shell = opts.shell ?? false;
  if (typeof shell !== 'boolean' && typeof shell !== 'string') throw invalidArgType('options.shell', 'a boolean or a path string', shell);
  if (shell !== false) {
    const shellPath = shell === true ? '/bin/sh' : shell;
    if (shellPath === '') throw invalidArgValue('options.shell', 'must not be an empty path', shell);
    argv = [shellPath, '-c', ...argv];
  }
  let file = argv[0];
  if (opts.executable !== undefined) {
    validateString('options.executable', opts.executable);
    if (opts.executable === '') throw invalidArgValue('options.executable', 'must not be empty', opts.executable);
    checkNoNul('options.executable', opts.executable);
    file = opts.executable;
  }
  if (file === '') throw invalidArgValue('args[0]', 'must name a program', file);

  let cwd: string | undefined;
  if (opts.cwd !== undefined) {
    validateString('options.cwd', opts.cwd);
    checkNoNul('options.cwd', opts.cwd);
    cwd = opts.cwd;
  }

  const env = opts.env ?? process.env;
  validateObject('options.env', env);
  const envPairs: string[] = [];
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (typeof value !== 'string') throw invalidArgType(`options.env.${key}`, 'of type string', value);
    checkNoNul(`options.env.${key}`, key);
    checkNoNul(`options.env.${key}`, value);
    envPairs.push(`${key}=${value}`);
  }

  const streams: [StreamPlan, StreamPlan, StreamPlan] = [
    validateStdio('options.stdin', opts.stdin, false),
    validateStdio('options.stdout', opts.stdout, false),
    validateStdio('options.stderr', opts.stderr, true),
  ];
  return { file, argv, cwd, envPairs, streams };
}

/** The command as given, for errors and CompletedProcess.args. */
export function commandOf(args: string | readonly string[]): Command {
  return typeof args === 'string' ? args : Object.freeze([...args]);
}
