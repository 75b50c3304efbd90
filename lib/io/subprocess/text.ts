// Text mode: output decoded strictly (bad bytes raise in the caller, not in
// a reader greenlet) with universal newlines, input encoded.
import { invalidArgType } from '../../loop/errors';
import type { TextEncoding } from './options';

const DECODER_LABELS: Record<TextEncoding, string> = {
  utf8: 'utf-8',
  'utf-8': 'utf-8',
  utf16le: 'utf-16le',
  'utf-16le': 'utf-16le',
  latin1: 'latin1',
  ascii: 'latin1',
};

/** Decodes `data`; \r\n and lone \r become \n, as Python's text mode does. */
export function decodeText(data: Buffer, encoding: TextEncoding): string {
  let text: string;
  if (encoding === 'ascii') {
    const bad = data.findIndex((byte) => byte > 0x7f);
    if (bad >= 0) {
      throw Object.assign(new TypeError(`The encoded data was not valid for encoding ascii (byte 0x${data[bad].toString(16)} at ${bad})`), {
        code: 'ERR_ENCODING_INVALID_ENCODED_DATA',
      });
    }
    text = data.toString('latin1');
  } else {
    // fatal: undecodable bytes are an error, never silent U+FFFD.
    text = new TextDecoder(DECODER_LABELS[encoding], { fatal: true }).decode(data);
  }
  return text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
}

/** Input for the child's stdin as bytes: strings are encoded, bytes pass. */
export function encodeInput(name: string, input: unknown, encoding: TextEncoding | null): Buffer {
  if (Buffer.isBuffer(input)) return input;
  if (input instanceof Uint8Array) return Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  if (typeof input === 'string') {
    const bufferEncoding = encoding === null || encoding === 'utf-8' ? 'utf8' : encoding === 'utf-16le' ? 'utf16le' : encoding;
    return Buffer.from(input, bufferEncoding);
  }
  throw invalidArgType(name, 'a Buffer, Uint8Array or string', input);
}
