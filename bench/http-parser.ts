// Microbenchmark of the HTTP request parser: ns per request, in process, no
// sockets. Compares with Node's own parser (llhttp behind
// process.binding('http_parser'), the binding Node's http server drives; it
// is deprecated but public, and it lets both parsers be timed on the same
// bytes without a loopback).
//
//   npx tsx bench/http-parser.ts [ms-per-case=400] [rounds=5]
//
// Each case feeds the same bytes to one long-lived parser over and over (a
// keep-alive connection) and reports the best of `rounds` rounds of CPU time.
// "+ all strings" also materializes every header name and value, which is
// what llhttp's callback always does (Node builds the rawHeaders array).
import { RequestParser } from '../lib/io/http';

const msPerCase = Number(process.argv[2] ?? 400);
const rounds = Number(process.argv[3] ?? 5);

const WRK_GET = 'GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n';
const BROWSER_GET =
  'GET /static/app.js?v=3 HTTP/1.1\r\nHost: www.example.com\r\n' +
  'User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n' +
  'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n' +
  'Accept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate, br, zstd\r\n' +
  'Connection: keep-alive\r\nCookie: session=3f2a9c1b7d; theme=dark\r\nUpgrade-Insecure-Requests: 1\r\n' +
  'Sec-Fetch-Dest: document\r\nSec-Fetch-Mode: navigate\r\nIf-None-Match: "5e1d-17a"\r\n\r\n';
const POST_1K = `POST /api/items HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nContent-Length: 1024\r\n\r\n${'x'.repeat(1024)}`;
const CHUNKED_1K = `POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n${'100\r\n' + 'y'.repeat(256) + '\r\n'}`.repeat(1) +
  `${('100\r\n' + 'y'.repeat(256) + '\r\n').repeat(3)}0\r\n\r\n`;

interface Case {
  name: string;
  /** Requests per fed chunk. */
  requests: number;
  chunks: Buffer[];
  materialize?: boolean;
}

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const CASES: Case[] = [
  { name: 'wrk GET (40 B)', requests: 1, chunks: [b(WRK_GET)] },
  { name: 'browser GET, 11 fields (520 B)', requests: 1, chunks: [b(BROWSER_GET)] },
  { name: 'browser GET + all strings', requests: 1, chunks: [b(BROWSER_GET)], materialize: true },
  { name: 'browser GET split in 2 chunks', requests: 1, chunks: [b(BROWSER_GET.slice(0, 200)), b(BROWSER_GET.slice(200))] },
  { name: 'wrk GET x16 pipelined, per request', requests: 16, chunks: [b(WRK_GET.repeat(16))] },
  { name: 'POST 1 KiB Content-Length body', requests: 1, chunks: [b(POST_1K)] },
  { name: 'POST 1 KiB chunked body (4 chunks)', requests: 1, chunks: [b(CHUNKED_1K)] },
];

function ours(c: Case): () => number {
  const parser = new RequestParser();
  let sink = 0;
  return () => {
    for (const chunk of c.chunks) {
      parser.feed(chunk);
      for (;;) {
        const head = parser.readHead();
        if (head === null) break;
        sink += head.method.length;
        if (c.materialize) {
          const raw = head.headers.raw();
          sink += raw.length + head.url.length;
        }
        for (let body = parser.readBody(); body !== null; body = parser.readBody()) sink += body.length;
      }
    }
    return sink;
  };
}

interface NodeParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(data: Buffer): number | Error;
  [key: number]: unknown;
}
interface NodeParserClass {
  new (): NodeParser;
  REQUEST: number;
  kOnHeaders: number;
  kOnHeadersComplete: number;
  kOnBody: number;
  kOnMessageComplete: number;
  kOnExecute: number;
}

function llhttp(c: Case): (() => number) | null {
  let HTTPParser: NodeParserClass;
  try {
    process.noDeprecation = true;
    HTTPParser = (process as unknown as { binding(name: string): { HTTPParser: NodeParserClass } }).binding('http_parser').HTTPParser;
  } catch {
    return null;
  }
  const parser = new HTTPParser();
  parser.initialize(HTTPParser.REQUEST, {}, 0, 0);
  let sink = 0;
  // The same callbacks Node's http server installs, doing the minimum.
  parser[HTTPParser.kOnHeaders] = (headers: string[], url: string) => {
    sink += headers.length + url.length;
  };
  parser[HTTPParser.kOnHeadersComplete] = (_major: number, _minor: number, headers: string[] | undefined, method: number, url: string | undefined) => {
    sink += method + (headers?.length ?? 0) + (url?.length ?? 0);
  };
  parser[HTTPParser.kOnBody] = (chunk: Buffer) => {
    sink += chunk.length;
  };
  parser[HTTPParser.kOnMessageComplete] = () => {
    sink++;
  };
  parser[HTTPParser.kOnExecute] = () => {};
  return () => {
    for (const chunk of c.chunks) {
      const r = parser.execute(chunk);
      if (r instanceof Error) throw r;
    }
    return sink;
  };
}

function timeNsPerRequest(run: () => number, requests: number): number {
  // Warm up, then time `rounds` rounds of CPU time (user + system, so that
  // other processes on a shared machine count less) and keep the best.
  for (let i = 0; i < 2000; i++) run();
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    let iterations = 0;
    const wallUntil = Date.now() + msPerCase / rounds;
    const cpu = process.cpuUsage();
    while (Date.now() < wallUntil) {
      for (let i = 0; i < 200; i++) run();
      iterations += 200;
    }
    const used = process.cpuUsage(cpu);
    best = Math.min(best, ((used.user + used.system) * 1000) / (iterations * requests));
  }
  return best;
}

console.log(`node ${process.version}, ${msPerCase} ms per case, best of ${rounds} rounds of CPU time`);
console.log(`${'case'.padEnd(38)} ${'greenhub ns/req'.padStart(16)} ${'llhttp ns/req'.padStart(14)} ${'ratio'.padStart(7)}`);
for (const c of CASES) {
  const mine = timeNsPerRequest(ours(c), c.requests);
  const nodeRun = llhttp(c);
  const theirs = nodeRun === null ? NaN : timeNsPerRequest(nodeRun, c.requests);
  const ratio = Number.isNaN(theirs) ? '' : `${(theirs / mine).toFixed(2)}x`;
  console.log(`${c.name.padEnd(38)} ${mine.toFixed(0).padStart(16)} ${(Number.isNaN(theirs) ? 'n/a' : theirs.toFixed(0)).padStart(14)} ${ratio.padStart(7)}`);
}
