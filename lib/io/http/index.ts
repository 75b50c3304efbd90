// HTTP/1.1 wire protocol: the request parser and response-head helpers.
export { HttpParseError } from './errors';
export type { ParseErrorCode, ParseErrorStatus } from './errors';
export { HeaderList } from './headers';
export { DEFAULT_LIMITS, RequestParser } from './parser';
export type { ParserLimits, ParserState, RequestParserOptions } from './parser';
export { RequestHead } from './request-head';
export type { BodyFraming, HttpVersion, TargetForm } from './request-head';
export { DateCache, dateCache, formatHttpDate } from './date';
export {
  chunkHeader,
  CONTINUE_RESPONSE,
  CRLF,
  encodeChunk,
  encodeResponse,
  errorResponse,
  formatResponseHead,
  LAST_CHUNK,
  lastChunk,
  responseFraming,
  validateHeaderName,
  validateHeaderValue,
  validateStatus,
} from './response';
export type {
  FramingRequest,
  HeaderValue,
  OutgoingHeaders,
  ResponseBodyMode,
  ResponseFraming,
  ResponseHeadOptions,
} from './response';
export { reasonPhrase, responseHasBody, STATUS_REASONS } from './status';
export { HttpServer, type HttpHandler, type HttpServerOptions } from './server';
export { Request } from './incoming';
export { Response } from './outgoing';
