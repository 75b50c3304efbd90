// HTTP/1.1 wire protocol: the request parser and response-head helpers.
export { HttpParseError } from './errors';
export type { ParseErrorCode, ParseErrorStatus } from './errors';
export { HeaderList } from './headers';
export { DEFAULT_LIMITS, RequestParser } from './parser';
export type { ParserLimits, ParserState, RequestParserOptions } from './parser';
export { RequestHead } from './request-head';
export type { BodyFraming, HttpVersion, TargetForm } from './request-head';
