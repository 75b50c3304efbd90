// The Date header value (IMF-fixdate, RFC 9110 §5.6.7), formatted at most
// once per second: a server answering 50k requests per second would
// otherwise format the same string 50k times.

/** IMF-fixdate of a time in milliseconds since the epoch: "Sun, 06 Nov 1994 08:49:37 GMT". */
export function formatHttpDate(ms: number): string {
  // toUTCString() has produced exactly IMF-fixdate since ES2018.
  return new Date(ms).toUTCString();
}

export class DateCache {
  private readonly clock: () => number;
  private second = -1;
  private value = '';
  private line = '';

  /** `clock` returns milliseconds since the epoch (injectable for tests). */
  constructor(clock: () => number = Date.now) {
    this.clock = clock;
  }

  /** The current IMF-fixdate, reformatted when the second changes. */
  get(): string {
    this.refresh();
    return this.value;
  }

  /** "Date: <IMF-fixdate>\r\n", ready to append to a response head. */
  headerLine(): string {
    this.refresh();
    return this.line;
  }

  private refresh(): void {
    const ms = this.clock();
    const second = Math.floor(ms / 1000);
    if (second !== this.second) {
      this.second = second;
      this.value = formatHttpDate(second * 1000);
      this.line = `Date: ${this.value}\r\n`;
    }
  }
}

/** The process-wide cache the server uses. */
export const dateCache = new DateCache();
