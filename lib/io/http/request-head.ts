// What the parser makes of a request line and header section. Strings the
// handler may never read (path, query) are cut from the target on demand.
import type { HeaderList } from './headers';

export type HttpVersion = '1.0' | '1.1';

/**
 * How the request's body is delimited (RFC 9112 §6.3): no body, exactly
 * `contentLength` bytes, or the chunked coding.
 */
export type BodyFraming = 'none' | 'length' | 'chunked';

/**
 * The form of the request-target (RFC 9112 §3.2): `/path?query` (origin),
 * `http://host/path` (absolute, sent to proxies and accepted from anyone),
 * `host:port` (authority, CONNECT only) or `*` (asterisk, OPTIONS only).
 */
export type TargetForm = 'origin' | 'absolute' | 'authority' | 'asterisk';

/** @internal The values the parser hands to the RequestHead constructor. */
export interface RequestHeadInit {
  method: string;
  url: string;
  targetForm: TargetForm;
  /** Start of the path in `url` (after scheme://authority in absolute form). */
  pathStart: number;
  /** Index of the first "?" in `url`, or -1. */
  queryStart: number;
  httpVersion: HttpVersion;
  headers: HeaderList;
  keepAlive: boolean;
  expectContinue: boolean;
  upgrade: boolean;
  framing: BodyFraming;
  contentLength: number;
}

export class RequestHead {
  /** The method token, case-sensitive as sent ("GET", "POST"...). */
  readonly method: string;
  /** The raw request-target, exactly as sent (percent-encoding untouched). */
  readonly url: string;
  readonly targetForm: TargetForm;
  readonly httpVersion: HttpVersion;
  /** Header fields, looked up case-insensitively. */
  readonly headers: HeaderList;
  /**
   * Whether the connection may carry another request after this one: HTTP/1.1
   * unless `Connection: close`; HTTP/1.0 only with `Connection: keep-alive`.
   * The server may still decide to close.
   */
  readonly keepAlive: boolean;
  /** HTTP/1.1 with `Expect: 100-continue`: the client waits for a 100 (or a final status) before sending its body. */
  readonly expectContinue: boolean;
  /** `Connection: upgrade` with an `Upgrade` field (a protocol switch is asked for). */
  readonly upgrade: boolean;
  readonly framing: BodyFraming;
  /** The body's length when `framing` is "length", 0 with "none", -1 with "chunked" (unknown up front). */
  readonly contentLength: number;

  private readonly pathStart: number;
  private readonly queryStart: number;
  private parsedQuery: URLSearchParams | null = null;

  /** @internal Built by RequestParser. */
  constructor(init: RequestHeadInit) {
    this.method = init.method;
    this.url = init.url;
    this.targetForm = init.targetForm;
    this.httpVersion = init.httpVersion;
    this.headers = init.headers;
    this.keepAlive = init.keepAlive;
    this.expectContinue = init.expectContinue;
    this.upgrade = init.upgrade;
    this.framing = init.framing;
    this.contentLength = init.contentLength;
    this.pathStart = init.pathStart;
    this.queryStart = init.queryStart;
  }

  /**
   * The path of the target, still percent-encoded (so "/a%2Fb" and "/a/b"
   * stay distinct; decode segments with decodeURIComponent where wanted).
   * "/" for an absolute-form target with an empty path, "*" for the asterisk
   * form, "" for the authority form.
   */
  get path(): string {
    const end = this.queryStart === -1 ? this.url.length : this.queryStart;
    if (this.pathStart === 0 && end === this.url.length) return this.url;
    if (this.pathStart === end && this.targetForm === 'absolute') return '/';
    return this.url.slice(this.pathStart, end);
  }

  /** The raw query string, without the "?"; "" when there is none. */
  get search(): string {
    return this.queryStart === -1 ? '' : this.url.slice(this.queryStart + 1);
  }

  /**
   * The query parsed as application/x-www-form-urlencoded (WHATWG rules: "+"
   * is a space, percent-escapes decoded, repeated keys kept by `getAll`).
   * Built on first access and cached; a fresh copy is cheap with
   * `new URLSearchParams(head.query)`.
   */
  get query(): URLSearchParams {
    return (this.parsedQuery ??= new URLSearchParams(this.search));
  }
}
