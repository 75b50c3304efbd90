// A command line a command cannot run: its main() prints the message and
// the usage text and exits with status 2.
export class UsageError extends Error {
  readonly code = 'ERR_USAGE';
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
