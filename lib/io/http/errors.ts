// The one error type the request parser throws for bad input. It carries the
// status the server should answer with before closing the connection; every
// other exception out of the parser is a bug (the fuzz tests hold it to that).

/** The statuses a request can be refused with by the parser. */
export type ParseErrorStatus = 400 | 413 | 414 | 431 | 501 | 505;

/** Machine-readable causes, one per rule the input broke. */
export type ParseErrorCode =
  | 'ERR_HTTP_INVALID_METHOD'
  | 'ERR_HTTP_INVALID_TARGET'
  | 'ERR_HTTP_INVALID_VERSION'
  | 'ERR_HTTP_VERSION_NOT_SUPPORTED'
  | 'ERR_HTTP_INVALID_LINE_ENDING'
  | 'ERR_HTTP_INVALID_HEADER_NAME'
  | 'ERR_HTTP_INVALID_HEADER_VALUE'
  | 'ERR_HTTP_OBS_FOLD'
  | 'ERR_HTTP_MISSING_HOST'
  | 'ERR_HTTP_INVALID_HOST'
  | 'ERR_HTTP_INVALID_CONTENT_LENGTH'
  | 'ERR_HTTP_INVALID_TRANSFER_ENCODING'
  | 'ERR_HTTP_UNSUPPORTED_TRANSFER_ENCODING'
  | 'ERR_HTTP_CONFLICTING_FRAMING'
  | 'ERR_HTTP_INVALID_CONNECTION'
  | 'ERR_HTTP_INVALID_CHUNK'
  | 'ERR_HTTP_INVALID_TRAILER'
  | 'ERR_HTTP_URI_TOO_LONG'
  | 'ERR_HTTP_HEADERS_TOO_LARGE'
  | 'ERR_HTTP_TRAILERS_TOO_LARGE'
  | 'ERR_HTTP_BODY_TOO_LARGE'
  | 'ERR_HTTP_CHUNK_EXTENSIONS_TOO_LARGE'
  | 'ERR_HTTP_INCOMPLETE_REQUEST';

/**
 * Malformed or oversized request input. `status` is the response to send
 * (with `Connection: close`); `message` is a short reason fit for the
 * response body. After throwing one, a parser is dead and throws it again.
 */
export class HttpParseError extends Error {
  readonly status: ParseErrorStatus;
  readonly code: ParseErrorCode;
  /** Bytes of this connection's input consumed before the offending byte (for logs). */
  readonly offset: number;

  constructor(status: ParseErrorStatus, code: ParseErrorCode, message: string, offset: number) {
    super(message);
    this.name = 'HttpParseError';
    this.status = status;
    this.code = code;
    this.offset = offset;
  }
}
