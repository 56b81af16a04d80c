// `TextEncoder` and `TextDecoder` (UTF-8 only, as the WHATWG Encoding standard defines them), over native UTF-8 conversion.
(function (native, lib) {
  'use strict';
  const { encodeUtf8, decodeUtf8 } = native;
  const Uint8ArrayCtor = Uint8Array;
  const isView = ArrayBuffer.isView;
  const toWellFormed = String.prototype.toWellFormed;

  /** Text as UTF-8 bytes; lone surrogates become U+FFFD, as the standard says. */
  function encode(text) {
    return encodeUtf8(toWellFormed.call(`${text}`));
  }
  lib.encodeUtf8 = encode;

  class TextEncoder {
    /** Always `"utf-8"`. */
    get encoding() {
      return 'utf-8';
    }
    encode(input = '') {
      return encode(input);
    }
    /** Writes as much of `source` as fits in `destination` (whole characters only). */
    encodeInto(source, destination) {
      if (!(destination instanceof Uint8ArrayCtor)) {
        throw new TypeError('TextEncoder.encodeInto writes into a Uint8Array');
      }
      const text = `${source}`;
      if (destination.length >= text.length * 3) {
        const bytes = encode(text);
        destination.set(bytes);
        return { read: text.length, written: bytes.length };
      }
      let read = 0;
      let written = 0;
      while (read < text.length) {
        let code = text.charCodeAt(read);
        let units = 1;
        if (code >= 0xd800 && code <= 0xdfff) {
          const next = read + 1 < text.length ? text.charCodeAt(read + 1) : 0;
          if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
            code = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00);
            units = 2;
          } else {
            code = 0xfffd;
          }
        }
        const size = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
        if (written + size > destination.length) break;
        if (size === 1) {
          destination[written] = code;
        } else {
          const lead = [0, 0, 0xc0, 0xe0, 0xf0][size];
          destination[written] = lead | (code >> (6 * (size - 1)));
          for (let i = 1; i < size; i++) destination[written + i] = 0x80 | ((code >> (6 * (size - 1 - i))) & 0x3f);
        }
        written += size;
        read += units;
      }
      return { read, written };
    }
  }

  const LABELS = ['utf-8', 'utf8', 'unicode-1-1-utf-8', 'unicode11utf8', 'unicode20utf8', 'x-unicode20utf8'];

  /** The bytes of a BufferSource, as a Uint8Array over the same memory. */
  function bytesOf(input) {
    if (input === undefined) return new Uint8ArrayCtor(0);
    if (input instanceof ArrayBuffer || input instanceof SharedArrayBuffer) return new Uint8ArrayCtor(input);
    if (isView(input)) return new Uint8ArrayCtor(input.buffer, input.byteOffset, input.byteLength);
    throw new TypeError('TextDecoder.decode takes an ArrayBuffer, a typed array or a DataView');
  }

  const fromCharCode = String.fromCharCode;
  /** The bytes as a string of one Latin-1 character each, made natively a chunk at a time. */
  function latin1(bytes) {
    let text = '';
    for (let i = 0; i < bytes.length; i += 8192) text += fromCharCode.apply(null, bytes.subarray(i, i + 8192));
    return text;
  }

  /** UTF-8 bytes (a Uint8Array) as text, ill-formed parts replaced by U+FFFD. */
  lib.decodeUtf8 = (bytes) => decodeUtf8(latin1(bytes), false);

  /** How many bytes at the end of `bytes` start a character that is not complete yet. */
  function incompleteTail(bytes) {
    const end = bytes.length;
    for (let back = 1; back <= Math.min(3, end); back++) {
      const byte = bytes[end - back];
      if ((byte & 0xc0) === 0x80) continue; // a continuation byte: look further back
      const needed = byte >= 0xf0 && byte <= 0xf4 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc2 ? 2 : 1;
      return needed > back ? back : 0;
    }
    return 0;
  }

  class TextDecoder {
    #fatal;
    #ignoreBOM;
    #pending = new Uint8ArrayCtor(0);
    #started = false;
    constructor(label = 'utf-8', options = {}) {
      const name = `${label}`.trim().toLowerCase();
      if (!LABELS.includes(name)) {
        throw new RangeError(`The "${label}" encoding is not supported: Sluice's TextDecoder decodes UTF-8 only`);
      }
      this.#fatal = Boolean(options && options.fatal);
      this.#ignoreBOM = Boolean(options && options.ignoreBOM);
    }
    get encoding() {
      return 'utf-8';
    }
    get fatal() {
      return this.#fatal;
    }
    get ignoreBOM() {
      return this.#ignoreBOM;
    }
    /** Decodes `input`; with `{stream: true}`, a character split across calls is kept for the next one. */
    decode(input, options = {}) {
      const stream = Boolean(options && options.stream);
      let bytes = bytesOf(input);
      if (this.#pending.length > 0) {
        const joined = new Uint8ArrayCtor(this.#pending.length + bytes.length);
        joined.set(this.#pending);
        joined.set(bytes, this.#pending.length);
        bytes = joined;
        this.#pending = new Uint8ArrayCtor(0);
      }
      if (stream) {
        const tail = incompleteTail(bytes);
        if (tail > 0) {
          this.#pending = bytes.slice(bytes.length - tail);
          bytes = bytes.subarray(0, bytes.length - tail);
        }
      }
      if (!this.#started && !this.#ignoreBOM && bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
        bytes = bytes.subarray(3);
      }
      this.#started = stream && (this.#started || bytes.length > 0);
      const text = decodeUtf8(latin1(bytes), this.#fatal);
      if (typeof text !== 'string') {
        this.#pending = new Uint8ArrayCtor(0);
        this.#started = false;
        const error = new TypeError('The encoded data was not valid for encoding utf-8');
        error.code = 'ERR_ENCODING_INVALID_ENCODED_DATA';
        throw error;
      }
      return text;
    }
  }

  lib.expose({ TextEncoder, TextDecoder });
});
