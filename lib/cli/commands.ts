// The CLI's command table: a name, one line for `greenhub --help`, and the
// module that implements it, loaded only when the command runs. A new
// command is one line here and one module exporting `command`.

/** What a command module exports as `command`. */
export interface Command {
  /** The text `greenhub <name> --help` prints. */
  readonly usage: string;
  /**
   * Runs the command with the arguments after its name. Resolves with the
   * exit status, or null when the process should end by itself (a script
   * that keeps running on its own).
   */
  main(args: string[]): Promise<number | null>;
}

export interface CommandEntry {
  readonly summary: string;
  load(): Command;
}

/* eslint-disable @typescript-eslint/no-require-imports */
export const commands: Readonly<Record<string, CommandEntry>> = {
  run: {
    summary: 'run a script with the monkey patches on (a main export runs as the main greenlet)',
    load: () => (require('./run') as { command: Command }).command,
  },
  backdoor: {
    summary: "connect this terminal to a BackdoorServer's REPL in a running process",
    load: () => (require('./backdoor') as { command: Command }).command,
  },
  serve: {
    summary: 'serve an app module from prefork worker processes sharing one port',
    load: () => (require('./serve') as { command: Command }).command,
  },
  celery: {
    summary: 'run a Celery worker or beat for an app module (greenlets as the pool)',
    load: () => (require('./celery') as { command: Command }).command,
  },
};
