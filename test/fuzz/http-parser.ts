// Long-running fuzz of the HTTP request parser (the suite runs a few seconds
// of the same; this runs as long as asked).
//
//   npx tsx test/fuzz/http-parser.ts [seconds=60] [seed=random]
//
// Four generators in turn: random bytes / HTTP-shaped token soup, mutations
// of valid requests, and generated valid pipelined requests (which must parse
// to exactly what was generated). Every input is fed in random pieces (one
// in ten byte by byte). It fails, printing the seed and the input, on any
// exception other than HttpParseError, on work beyond 3 calls per byte or
// piece, on a parser holding more memory than its limits allow, on an
// outcome (messages, error status, code, offset) that changes with the split,
// or on a valid request that does not parse back. At the end it prints throughput,
// the statuses seen and the heap before and after.
import { HttpParseError, type RequestParserOptions } from '../../lib/io/http';
import { bytewise, drive, splitAt, summary } from '../io/http/drive';
import { generateValid, mutate, randomInput, Rng, VALID_REQUESTS } from '../io/http/fuzz-inputs';

const seconds = Number(process.argv[2] ?? 60);
const seed = Number(process.argv[3] ?? Math.floor(Math.random() * 2 ** 31));
if (!Number.isFinite(seconds) || seconds <= 0 || !Number.isInteger(seed)) {
  console.error('usage: tsx test/fuzz/http-parser.ts [seconds] [seed]');
  process.exit(2);
}

const options: RequestParserOptions = { maxHeaderBytes: 2048, maxHeaderCount: 32, maxBodyBytes: 1 << 16, maxChunkExtensionBytes: 256 };
const rng = new Rng(seed);
const statuses = new Map<string, number>();
let runs = 0;
let bytes = 0;
let validRuns = 0;

function fail(what: string, input: Buffer, error?: unknown): never {
  console.error(`FAIL (seed ${seed}, run ${runs}): ${what}`);
  console.error(`input: ${JSON.stringify(input.toString('latin1'))}`);
  if (error !== undefined) console.error(error);
  process.exit(1);
}

function pieces(input: Buffer): Buffer[] {
  if (rng.int(10) === 0) return bytewise(input);
  const cuts = Array.from({ length: rng.int(6) }, () => rng.int(input.length + 1)).sort((a, b) => a - b);
  return splitAt(input, cuts);
}

function runHostile(input: Buffer): void {
  const parts = pieces(input);
  let outcome;
  try {
    outcome = drive(parts, options);
  } catch (error) {
    fail('an exception other than HttpParseError', input, error);
  }
  const key = outcome.error === null ? 'ok' : `${outcome.error.status} ${outcome.error.code}`;
  statuses.set(key, (statuses.get(key) ?? 0) + 1);
  if (outcome.error !== null && !(outcome.error instanceof HttpParseError)) fail('bad error type', input);
  if (outcome.calls > 3 * (input.length + parts.length) + 10) fail(`${outcome.calls} parser calls`, input);
  const maxPiece = Math.max(0, ...parts.map((p) => p.length));
  if (outcome.maxRetained > 2 * options.maxHeaderBytes! + maxPiece + 1024) fail(`retained ${outcome.maxRetained} bytes`, input);
  const whole = summary(drive([input], options));
  if (summary(outcome) !== whole) fail(`outcome depends on the split:\n  split: ${summary(outcome)}\n  whole: ${whole}`, input);
}

function runValid(): void {
  const requests = Array.from({ length: 1 + rng.int(4) }, () => generateValid(rng));
  const input = Buffer.from(requests.map((r) => r.input).join(''), 'latin1');
  const outcome = drive(pieces(input), { maxHeaderBytes: 4096 });
  if (outcome.error !== null) fail(`valid input refused: ${outcome.error.message}`, input);
  if (outcome.messages.length !== requests.length) fail('wrong message count', input);
  requests.forEach(({ expected }, i) => {
    const got = outcome.messages[i];
    const actual = { method: got.method, url: got.url, version: got.version, headers: got.headers, keepAlive: got.keepAlive, body: got.body, trailers: got.trailers };
    if (JSON.stringify(actual) !== JSON.stringify(expected)) fail(`message ${i} differs: ${JSON.stringify(actual)} vs ${JSON.stringify(expected)}`, input);
  });
  validRuns++;
  bytes += input.length;
}

const heapBefore = process.memoryUsage().heapUsed;
const started = Date.now();
const deadline = started + seconds * 1000;
let lastReport = started;
while (Date.now() < deadline) {
  for (let i = 0; i < 100; i++) {
    const kind = runs % 4;
    if (kind === 3) {
      runValid();
    } else {
      const input = kind === 0 ? randomInput(rng) : mutate(rng, rng.pick(VALID_REQUESTS));
      bytes += input.length;
      runHostile(input);
    }
    runs++;
  }
  if (Date.now() - lastReport > 10_000) {
    lastReport = Date.now();
    console.log(`${((lastReport - started) / 1000).toFixed(0)} s: ${runs} runs`);
  }
}
const elapsed = (Date.now() - started) / 1000;
global.gc?.();
const heapAfter = process.memoryUsage().heapUsed;
console.log(`seed ${seed}: ${runs} runs (${validRuns} generated-valid) in ${elapsed.toFixed(1)} s, ${(runs / elapsed).toFixed(0)} runs/s, ${(bytes / 1e6).toFixed(1)} MB`);
console.log(`heap ${(heapBefore / 1e6).toFixed(1)} MB -> ${(heapAfter / 1e6).toFixed(1)} MB`);
console.log('outcomes of hostile inputs:');
for (const [key, count] of [...statuses].sort((a, b) => b[1] - a[1])) console.log(`  ${String(count).padStart(8)}  ${key}`);
