// Option parsing shared by the CLI's commands: GNU-style long options
// (--name value, --name=value), -h for --help, `--` ending the options.

import { UsageError } from './usage';

export { UsageError };

/** Each option a command takes: a flag, or one that takes a value. */
export type OptionSpec = Readonly<Record<string, 'flag' | 'value'>>;

export interface ParsedOptions {
  /** Flags map to true, the others to their (last) value. */
  options: Map<string, string | true>;
  /** What follows the options: from the first positional argument (or `--`) on. */
  rest: string[];
}

/** Reads options up to the first positional argument; the rest is the command's (a script's own arguments). */
export function parseOptions(args: readonly string[], spec: OptionSpec): ParsedOptions {
  const options = new Map<string, string | true>();
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') {
      i++;
      break;
    }
    if (arg === '-h') {
      options.set('help', true);
      continue;
    }
    if (!arg.startsWith('--') || arg === '-') break;
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const kind = spec[name];
    if (kind === undefined) throw new UsageError(`unknown option --${name}`);
    if (kind === 'flag') {
      if (eq >= 0) throw new UsageError(`option --${name} takes no value`);
      options.set(name, true);
    } else if (eq >= 0) {
      options.set(name, arg.slice(eq + 1));
    } else {
      if (i + 1 >= args.length) throw new UsageError(`option --${name} needs a value`);
      options.set(name, args[++i]);
    }
  }
  return { options, rest: args.slice(i) };
}
