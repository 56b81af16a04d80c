// `URL` and `URLSearchParams`: the WHATWG URL Standard's parser, serializer and API, as pure string work (programs still have no network).
//
// The parser is the standard's state machine (with state overrides for the
// setters), its host parser (domains lowercased, Unicode labels punycoded after
// NFKC and case folding, which is the common part of UTS 46; IPv4 in every
// form; IPv6 compressed) and its percent-encode sets, as Node 20 applies them.
(function (native, lib) {
  'use strict';
  const { encodeUtf8 } = lib;

  const SPECIAL = { 'ftp:': 21, 'file:': null, 'http:': 80, 'https:': 443, 'ws:': 80, 'wss:': 443 };
  const isSpecialScheme = (scheme) => Object.prototype.hasOwnProperty.call(SPECIAL, `${scheme}:`);
  const defaultPort = (scheme) => (isSpecialScheme(scheme) ? SPECIAL[`${scheme}:`] : null);

  // ----- code points and percent-encoding -----

  const EOF = undefined;
  const cp = (c) => (c === EOF ? -1 : c.codePointAt(0));
  const isAsciiDigit = (c) => c >= 0x30 && c <= 0x39;
  const isAsciiHexDigit = (c) => isAsciiDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
  const isAsciiAlpha = (c) => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
  const isAsciiAlphanumeric = (c) => isAsciiAlpha(c) || isAsciiDigit(c);

  const c0ControlSet = (c) => c < 0x20 || c > 0x7e;
  const fragmentSet = (c) => c0ControlSet(c) || c === 0x20 || c === 0x22 || c === 0x3c || c === 0x3e || c === 0x60;
  const querySet = (c) => c0ControlSet(c) || c === 0x20 || c === 0x22 || c === 0x23 || c === 0x3c || c === 0x3e;
  const specialQuerySet = (c) => querySet(c) || c === 0x27;
  const pathSet = (c) => querySet(c) || c === 0x3f || c === 0x60 || c === 0x7b || c === 0x7d;
  const userinfoSet = (c) =>
    pathSet(c) || c === 0x2f || c === 0x3a || c === 0x3b || c === 0x3d || c === 0x40 || (c >= 0x5b && c <= 0x5e) || c === 0x7c;
  const componentSet = (c) => userinfoSet(c) || (c >= 0x24 && c <= 0x26) || c === 0x2b || c === 0x2c;
  const formSet = (c) => componentSet(c) || c === 0x21 || (c >= 0x27 && c <= 0x29) || c === 0x7e;

  // Each set as a table over ASCII (every set holds all of non-ASCII) and a
  // regular expression that finds whether a string has anything to encode.
  function table(set) {
    const ascii = Uint8Array.from({ length: 128 }, (_, c) => (set(c) ? 1 : 0));
    let members = '';
    for (let c = 0; c < 128; c++) if (ascii[c]) members += `\\x${c < 16 ? '0' : ''}${c.toString(16)}`;
    ascii.needs = new RegExp(`[${members}\\u0080-\\uffff]`);
    return ascii;
  }
  const C0_CONTROL = table(c0ControlSet);
  const FRAGMENT = table(fragmentSet);
  const QUERY = table(querySet);
  const SPECIAL_QUERY = table(specialQuerySet);
  const PATH = table(pathSet);
  const USERINFO = table(userinfoSet);
  const FORM = table(formSet);
  const ESCAPED = Array.from({ length: 128 }, (_, c) => `%${c < 16 ? '0' : ''}${c.toString(16).toUpperCase()}`);
  const encodeURIComponentNative = encodeURIComponent;

  /** UTF-8 percent-encodes the code points of (well-formed) `text` that `set` holds. */
  function encodeString(text, set, spaceAsPlus = false) {
    if (!set.needs.test(text) && !(spaceAsPlus && text.includes(' '))) return text;
    let out = '';
    let start = 0; // where the text not yet copied to `out` begins
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c < 0x80) {
        if (spaceAsPlus && c === 0x20) {
          out += `${text.slice(start, i)}+`;
        } else if (set[c]) {
          out += text.slice(start, i) + ESCAPED[c];
        } else {
          continue;
        }
        start = i + 1;
      } else {
        // A run of non-ASCII: the engine's encodeURIComponent percent-encodes it as UTF-8.
        let end = i + 1;
        while (end < text.length && text.charCodeAt(end) >= 0x80) end++;
        out += text.slice(start, i) + encodeURIComponentNative(text.slice(i, end));
        start = end;
        i = end - 1;
      }
    }
    return start === 0 ? text : out + text.slice(start);
  }

  /** Percent-decodes `text` (its UTF-8 bytes) and reads the result as UTF-8. */
  function percentDecode(text) {
    if (!text.includes('%')) return text;
    const bytes = encodeUtf8(text);
    const out = new Uint8Array(bytes.length);
    let length = 0;
    for (let i = 0; i < bytes.length; i++) {
      const byte = bytes[i];
      if (byte === 0x25 && i + 2 < bytes.length && isAsciiHexDigit(bytes[i + 1]) && isAsciiHexDigit(bytes[i + 2])) {
        out[length++] = parseInt(String.fromCharCode(bytes[i + 1], bytes[i + 2]), 16);
        i += 2;
      } else {
        out[length++] = byte;
      }
    }
    return lib.decodeUtf8(out.subarray(0, length));
  }

  // ----- hosts -----

  const forbiddenHost = (c) =>
    c === 0 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x20 || c === 0x23 || c === 0x2f || c === 0x3a ||
    c === 0x3c || c === 0x3e || c === 0x3f || c === 0x40 || c === 0x5b || c === 0x5c || c === 0x5d || c === 0x5e || c === 0x7c;
  const forbiddenDomain = (c) => forbiddenHost(c) || c <= 0x1f || c === 0x25 || c === 0x7f;

  // Punycode (RFC 3492), for labels with non-ASCII characters.
  function punycode(label) {
    const input = Array.from(label, (char) => char.codePointAt(0));
    let output = '';
    for (const code of input) if (code < 0x80) output += String.fromCharCode(code);
    const basic = output.length;
    let handled = basic;
    if (basic > 0) output += '-';
    const digit = (d) => String.fromCharCode(d + 22 + 75 * (d < 26));
    const adapt = (delta, points, first) => {
      delta = first ? Math.floor(delta / 700) : delta >> 1;
      delta += Math.floor(delta / points);
      let k = 0;
      for (; delta > 455; k += 36) delta = Math.floor(delta / 35);
      return k + Math.floor((36 * delta) / (delta + 38));
    };
    let n = 128;
    let delta = 0;
    let bias = 72;
    while (handled < input.length) {
      let m = Infinity;
      for (const code of input) if (code >= n && code < m) m = code;
      delta += (m - n) * (handled + 1);
      n = m;
      for (const code of input) {
        if (code < n) delta++;
        if (code === n) {
          let q = delta;
          for (let k = 36; ; k += 36) {
            const t = k <= bias ? 1 : k >= bias + 26 ? 26 : k - bias;
            if (q < t) break;
            output += digit(t + ((q - t) % (36 - t)));
            q = Math.floor((q - t) / (36 - t));
          }
          output += digit(q);
          bias = adapt(delta, handled + 1, handled === basic);
          delta = 0;
          handled++;
        }
      }
      delta++;
      n++;
    }
    return output;
  }

  function domainToAscii(domain) {
    // eslint-disable-next-line no-control-regex
    if (/^[\x00-\x7f]*$/.test(domain)) return domain.toLowerCase();
    const mapped = domain.normalize('NFKC').toLowerCase().normalize('NFC').replace(/[\u3002\uff0e\uff61]/g, '.');
    const labels = mapped.split('.').map((label) => (/^[\x00-\x7f]*$/.test(label) ? label : `xn--${punycode(label)}`));
    return labels.join('.');
  }

  /** The IPv4 number parser: a number and whether it was written in a non-decimal way, or null. */
  function parseIPv4Number(text) {
    if (text === '') return null;
    let radix = 10;
    if (text.length >= 2 && (text.startsWith('0x') || text.startsWith('0X'))) {
      text = text.slice(2);
      radix = 16;
    } else if (text.length >= 2 && text[0] === '0') {
      text = text.slice(1);
      radix = 8;
    }
    if (text === '') return 0;
    const valid = radix === 10 ? /^[0-9]+$/ : radix === 16 ? /^[0-9a-fA-F]+$/ : /^[0-7]+$/;
    if (!valid.test(text)) return null;
    return parseInt(text, radix);
  }

  function endsInANumber(text) {
    const parts = text.split('.');
    if (parts[parts.length - 1] === '') {
      if (parts.length === 1) return false;
      parts.pop();
    }
    const last = parts[parts.length - 1];
    if (last !== '' && /^[0-9]+$/.test(last)) return true;
    return parseIPv4Number(last) !== null;
  }

  function parseIPv4(text) {
    const parts = text.split('.');
    if (parts[parts.length - 1] === '' && parts.length > 1) parts.pop();
    if (parts.length > 4) return null;
    const numbers = [];
    for (const part of parts) {
      const number = parseIPv4Number(part);
      if (number === null) return null;
      numbers.push(number);
    }
    for (let i = 0; i < numbers.length - 1; i++) if (numbers[i] > 255) return null;
    if (numbers[numbers.length - 1] >= 256 ** (5 - numbers.length)) return null;
    let ipv4 = numbers[numbers.length - 1];
    for (let i = 0; i < numbers.length - 1; i++) ipv4 += numbers[i] * 256 ** (3 - i);
    return ipv4;
  }

  function parseIPv6(text) {
    const address = [0, 0, 0, 0, 0, 0, 0, 0];
    let pieceIndex = 0;
    let compress = null;
    let pointer = 0;
    const c = () => (pointer < text.length ? text.charCodeAt(pointer) : -1);
    if (c() === 0x3a) {
      if (text.charCodeAt(1) !== 0x3a) return null;
      pointer += 2;
      compress = ++pieceIndex;
    }
    while (c() !== -1) {
      if (pieceIndex === 8) return null;
      if (c() === 0x3a) {
        if (compress !== null) return null;
        pointer++;
        compress = ++pieceIndex;
        continue;
      }
      let value = 0;
      let length = 0;
      while (length < 4 && isAsciiHexDigit(c())) {
        value = value * 16 + parseInt(text[pointer], 16);
        pointer++;
        length++;
      }
      if (c() === 0x2e) {
        if (length === 0) return null;
        pointer -= length;
        if (pieceIndex > 6) return null;
        let numbersSeen = 0;
        while (c() !== -1) {
          let ipv4Piece = null;
          if (numbersSeen > 0) {
            if (c() === 0x2e && numbersSeen < 4) pointer++;
            else return null;
          }
          if (!isAsciiDigit(c())) return null;
          while (isAsciiDigit(c())) {
            const number = c() - 0x30;
            if (ipv4Piece === null) ipv4Piece = number;
            else if (ipv4Piece === 0) return null;
            else ipv4Piece = ipv4Piece * 10 + number;
            if (ipv4Piece > 255) return null;
            pointer++;
          }
          address[pieceIndex] = address[pieceIndex] * 0x100 + ipv4Piece;
          numbersSeen++;
          if (numbersSeen === 2 || numbersSeen === 4) pieceIndex++;
        }
        if (numbersSeen !== 4) return null;
        break;
      } else if (c() === 0x3a) {
        pointer++;
        if (c() === -1) return null;
      } else if (c() !== -1) {
        return null;
      }
      address[pieceIndex++] = value;
    }
    if (compress !== null) {
      let swaps = pieceIndex - compress;
      pieceIndex = 7;
      while (pieceIndex !== 0 && swaps > 0) {
        [address[pieceIndex], address[compress + swaps - 1]] = [address[compress + swaps - 1], address[pieceIndex]];
        pieceIndex--;
        swaps--;
      }
    } else if (pieceIndex !== 8) {
      return null;
    }
    return address;
  }

  function serializeIPv6(address) {
    // The first longest run of two or more zero pieces is compressed.
    let bestStart = -1;
    let bestLength = 1;
    for (let i = 0; i < 8; ) {
      if (address[i] !== 0) {
        i++;
        continue;
      }
      let j = i;
      while (j < 8 && address[j] === 0) j++;
      if (j - i > bestLength) {
        bestStart = i;
        bestLength = j - i;
      }
      i = j;
    }
    let out = '';
    for (let i = 0; i < 8; i++) {
      if (i === bestStart) {
        out += i === 0 ? '::' : ':';
        i += bestLength - 1;
        continue;
      }
      out += address[i].toString(16);
      if (i !== 7) out += ':';
    }
    return `[${out}]`;
  }

  function serializeIPv4(number) {
    const parts = [];
    for (let i = 0; i < 4; i++) {
      parts.unshift(String(number % 256));
      number = Math.floor(number / 256);
    }
    return parts.join('.');
  }

  /** The host parser: the serialized host, or null for failure. */
  function parseHost(input, isOpaque) {
    if (input.startsWith('[')) {
      if (!input.endsWith(']')) return null;
      const address = parseIPv6(input.slice(1, -1));
      return address === null ? null : serializeIPv6(address);
    }
    if (isOpaque) {
      for (const char of input) if (forbiddenHost(char.codePointAt(0))) return null;
      return encodeString(input, C0_CONTROL);
    }
    const ascii = domainToAscii(percentDecode(input));
    if (ascii === '') return null;
    for (let i = 0; i < ascii.length; i++) if (forbiddenDomain(ascii.charCodeAt(i))) return null;
    if (endsInANumber(ascii)) {
      const ipv4 = parseIPv4(ascii);
      return ipv4 === null ? null : serializeIPv4(ipv4);
    }
    return ascii;
  }

  // ----- the basic URL parser -----

  const isWindowsDriveLetter = (text, normalizedOnly = false) =>
    text.length === 2 && isAsciiAlpha(text.charCodeAt(0)) && (text[1] === ':' || (!normalizedOnly && text[1] === '|'));
  function startsWithWindowsDriveLetter(chars, pointer) {
    if (chars.length - pointer < 2) return false;
    if (!isWindowsDriveLetter(chars[pointer] + chars[pointer + 1])) return false;
    if (chars.length - pointer === 2) return true;
    const next = chars[pointer + 2];
    return next === '/' || next === '\\' || next === '?' || next === '#';
  }
  const isSingleDot = (segment) => segment === '.' || (segment.length === 3 && segment.toLowerCase() === '%2e');
  const isDoubleDot = (segment) => {
    if (segment.length < 2 || segment.length > 6) return false;
    const lower = segment.toLowerCase();
    return lower === '..' || lower === '.%2e' || lower === '%2e.' || lower === '%2e%2e';
  };
  // The runs of a path segment, query and opaque path the parser takes at once.
  const SEGMENT_SPECIAL = /[^/\\?#]+/y;
  const SEGMENT_SPECIAL_OVERRIDE = /[^/\\]+/y;
  const SEGMENT = /[^/?#]+/y;
  const SEGMENT_OVERRIDE = /[^/]+/y;
  const OPAQUE_PATH = /[^?#]+/y;
  const QUERY_RUN = /[^#]+/y;
  const REST = /[^]+/y;
  function runAt(pattern, text, at) {
    pattern.lastIndex = at;
    return pattern.exec(text)[0];
  }

  // The credentials, host and port a relative reference takes from its base.
  function copyAuthority(url, base) {
    url.username = base.username;
    url.password = base.password;
    url.host = base.host;
    url.port = base.port;
  }

  function shortenPath(url) {
    const { path } = url;
    if (url.scheme === 'file' && path.length === 1 && isWindowsDriveLetter(path[0], true)) return;
    path.pop();
  }

  const newRecord = () => ({
    scheme: '',
    username: '',
    password: '',
    host: null,
    port: null,
    path: [],
    opaquePath: null,
    query: null,
    fragment: null,
  });
  const includesCredentials = (url) => url.username !== '' || url.password !== '';
  const cannotHaveUsernamePasswordPort = (url) => url.host === null || url.host === '' || url.scheme === 'file';

  const S = {
    SCHEME_START: 1, SCHEME: 2, NO_SCHEME: 3, SPECIAL_RELATIVE_OR_AUTHORITY: 4, PATH_OR_AUTHORITY: 5, RELATIVE: 6,
    RELATIVE_SLASH: 7, SPECIAL_AUTHORITY_SLASHES: 8, SPECIAL_AUTHORITY_IGNORE_SLASHES: 9, AUTHORITY: 10, HOST: 11,
    HOSTNAME: 12, PORT: 13, FILE: 14, FILE_SLASH: 15, FILE_HOST: 16, PATH_START: 17, PATH: 18, OPAQUE_PATH: 19,
    QUERY: 20, FRAGMENT: 21,
  };
  const FAILURE = null;
  const DONE = 0;

  /**
   * The standard's basic URL parser. Without `override`, returns a new record or
   * FAILURE; with it (a setter), changes `url` in place and returns DONE or FAILURE
   * (what it changed before failing stays changed, as the standard says).
   */
  function basicParse(input, base, url, override) {
    if (!url) {
      url = newRecord();
      input = input.replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '');
    }
    // The machine walks UTF-16 code units: only ASCII ones steer it, and the
    // others are encoded a run at a time, so surrogate pairs stay together.
    const chars = input.replace(/[\t\n\r]/g, '');
    let state = override || S.SCHEME_START;
    let buffer = '';
    let atSignSeen = false;
    let insideBrackets = false;
    let passwordTokenSeen = false;
    let specialScheme = null;
    let special = false;
    const isSpecial = () => {
      if (url.scheme !== specialScheme) {
        specialScheme = url.scheme;
        special = isSpecialScheme(specialScheme);
      }
      return special;
    };
    const result = () => (override ? DONE : url);

    for (let pointer = 0; pointer <= chars.length; pointer++) {
      const c = chars[pointer];
      const code = cp(c);
      switch (state) {
        case S.SCHEME_START:
          if (isAsciiAlpha(code)) {
            buffer += c.toLowerCase();
            state = S.SCHEME;
          } else if (!override) {
            state = S.NO_SCHEME;
            pointer--;
          } else {
            return FAILURE;
          }
          break;

        case S.SCHEME:
          if (isAsciiAlphanumeric(code) || c === '+' || c === '-' || c === '.') {
            buffer += c.toLowerCase();
          } else if (c === ':') {
            if (override) {
              if (isSpecialScheme(url.scheme) !== isSpecialScheme(buffer)) return DONE;
              if ((includesCredentials(url) || url.port !== null) && buffer === 'file') return DONE;
              if (url.scheme === 'file' && url.host === '') return DONE;
            }
            url.scheme = buffer;
            if (override) {
              if (url.port === defaultPort(url.scheme)) url.port = null;
              return DONE;
            }
            buffer = '';
            if (url.scheme === 'file') {
              state = S.FILE;
            } else if (isSpecial() && base && base.scheme === url.scheme) {
              state = S.SPECIAL_RELATIVE_OR_AUTHORITY;
            } else if (isSpecial()) {
              state = S.SPECIAL_AUTHORITY_SLASHES;
            } else if (chars[pointer + 1] === '/') {
              state = S.PATH_OR_AUTHORITY;
              pointer++;
            } else {
              url.opaquePath = '';
              state = S.OPAQUE_PATH;
            }
          } else if (!override) {
            buffer = '';
            state = S.NO_SCHEME;
            pointer = -1;
          } else {
            return FAILURE;
          }
          break;

        case S.NO_SCHEME:
          if (!base || (base.opaquePath !== null && c !== '#')) {
            return FAILURE;
          } else if (base.opaquePath !== null && c === '#') {
            url.scheme = base.scheme;
            url.path = base.path.slice();
            url.opaquePath = base.opaquePath;
            url.query = base.query;
            url.fragment = '';
            state = S.FRAGMENT;
          } else if (base.scheme !== 'file') {
            state = S.RELATIVE;
            pointer--;
          } else {
            state = S.FILE;
            pointer--;
          }
          break;

        case S.SPECIAL_RELATIVE_OR_AUTHORITY:
          if (c === '/' && chars[pointer + 1] === '/') {
            state = S.SPECIAL_AUTHORITY_IGNORE_SLASHES;
            pointer++;
          } else {
            state = S.RELATIVE;
            pointer--;
          }
          break;

        case S.PATH_OR_AUTHORITY:
          if (c === '/') {
            state = S.AUTHORITY;
          } else {
            state = S.PATH;
            pointer--;
          }
          break;

        case S.RELATIVE:
          url.scheme = base.scheme;
          if (c === '/') {
            state = S.RELATIVE_SLASH;
          } else if (isSpecial() && c === '\\') {
            state = S.RELATIVE_SLASH;
          } else {
            copyAuthority(url, base);
            url.path = base.path.slice();
            url.query = base.query;
            if (c === '?') {
              url.query = '';
              state = S.QUERY;
            } else if (c === '#') {
              url.fragment = '';
              state = S.FRAGMENT;
            } else if (c !== EOF) {
              url.query = null;
              shortenPath(url);
              state = S.PATH;
              pointer--;
            }
          }
          break;

        case S.RELATIVE_SLASH:
          if (isSpecial() && (c === '/' || c === '\\')) {
            state = S.SPECIAL_AUTHORITY_IGNORE_SLASHES;
          } else if (c === '/') {
            state = S.AUTHORITY;
          } else {
            copyAuthority(url, base);
            state = S.PATH;
            pointer--;
          }
          break;

        case S.SPECIAL_AUTHORITY_SLASHES:
          if (c === '/' && chars[pointer + 1] === '/') {
            state = S.SPECIAL_AUTHORITY_IGNORE_SLASHES;
            pointer++;
          } else {
            state = S.SPECIAL_AUTHORITY_IGNORE_SLASHES;
            pointer--;
          }
          break;

        case S.SPECIAL_AUTHORITY_IGNORE_SLASHES:
          if (c !== '/' && c !== '\\') {
            state = S.AUTHORITY;
            pointer--;
          }
          break;

        case S.AUTHORITY:
          if (c === '@') {
            if (atSignSeen) buffer = `%40${buffer}`;
            atSignSeen = true;
            const colon = passwordTokenSeen ? -1 : buffer.indexOf(':');
            if (passwordTokenSeen) {
              url.password += encodeString(buffer, USERINFO);
            } else if (colon === -1) {
              url.username += encodeString(buffer, USERINFO);
            } else {
              url.username += encodeString(buffer.slice(0, colon), USERINFO);
              url.password += encodeString(buffer.slice(colon + 1), USERINFO);
              passwordTokenSeen = true;
            }
            buffer = '';
          } else if (c === EOF || c === '/' || c === '?' || c === '#' || (isSpecial() && c === '\\')) {
            if (atSignSeen && buffer === '') return FAILURE;
            pointer -= buffer.length + 1;
            buffer = '';
            state = S.HOST;
          } else {
            buffer += c;
          }
          break;

        case S.HOST:
        case S.HOSTNAME:
          if (override && url.scheme === 'file') {
            pointer--;
            state = S.FILE_HOST;
          } else if (c === ':' && !insideBrackets) {
            if (buffer === '') return FAILURE;
            if (override === S.HOSTNAME) return FAILURE;
            const host = parseHost(buffer, !isSpecial());
            if (host === null) return FAILURE;
            url.host = host;
            buffer = '';
            state = S.PORT;
          } else if (c === EOF || c === '/' || c === '?' || c === '#' || (isSpecial() && c === '\\')) {
            pointer--;
            if (isSpecial() && buffer === '') return FAILURE;
            if (override && buffer === '' && (includesCredentials(url) || url.port !== null)) return FAILURE;
            const host = parseHost(buffer, !isSpecial());
            if (host === null) return FAILURE;
            url.host = host;
            buffer = '';
            state = S.PATH_START;
            if (override) return DONE;
          } else {
            if (c === '[') insideBrackets = true;
            if (c === ']') insideBrackets = false;
            buffer += c;
          }
          break;

        case S.PORT:
          if (isAsciiDigit(code)) {
            buffer += c;
          } else if (c === EOF || c === '/' || c === '?' || c === '#' || (isSpecial() && c === '\\') || override) {
            if (buffer !== '') {
              const port = parseInt(buffer, 10);
              if (port > 65535) return FAILURE;
              url.port = port === defaultPort(url.scheme) ? null : port;
              buffer = '';
              if (override) return DONE;
            }
            if (override) return FAILURE;
            state = S.PATH_START;
            pointer--;
          } else {
            return FAILURE;
          }
          break;

        case S.FILE:
          url.scheme = 'file';
          url.host = '';
          if (c === '/' || c === '\\') {
            state = S.FILE_SLASH;
          } else if (base && base.scheme === 'file') {
            url.host = base.host;
            url.path = base.path.slice();
            url.query = base.query;
            if (c === '?') {
              url.query = '';
              state = S.QUERY;
            } else if (c === '#') {
              url.fragment = '';
              state = S.FRAGMENT;
            } else if (c !== EOF) {
              url.query = null;
              if (!startsWithWindowsDriveLetter(chars, pointer)) shortenPath(url);
              else url.path = [];
              state = S.PATH;
              pointer--;
            }
          } else {
            state = S.PATH;
            pointer--;
          }
          break;

        case S.FILE_SLASH:
          if (c === '/' || c === '\\') {
            state = S.FILE_HOST;
          } else {
            if (base && base.scheme === 'file') {
              url.host = base.host;
              if (!startsWithWindowsDriveLetter(chars, pointer) && base.path.length > 0 && isWindowsDriveLetter(base.path[0], true)) {
                url.path.push(base.path[0]);
              }
            }
            state = S.PATH;
            pointer--;
          }
          break;

        case S.FILE_HOST:
          if (c === EOF || c === '/' || c === '\\' || c === '?' || c === '#') {
            pointer--;
            if (!override && isWindowsDriveLetter(buffer)) {
              state = S.PATH;
            } else if (buffer === '') {
              url.host = '';
              if (override) return DONE;
              state = S.PATH_START;
            } else {
              let host = parseHost(buffer, !isSpecial());
              if (host === null) return FAILURE;
              if (host === 'localhost') host = '';
              url.host = host;
              if (override) return DONE;
              buffer = '';
              state = S.PATH_START;
            }
          } else {
            buffer += c;
          }
          break;

        case S.PATH_START:
          if (isSpecial()) {
            state = S.PATH;
            if (c !== '/' && c !== '\\') pointer--;
          } else if (!override && c === '?') {
            url.query = '';
            state = S.QUERY;
          } else if (!override && c === '#') {
            url.fragment = '';
            state = S.FRAGMENT;
          } else if (c !== EOF) {
            state = S.PATH;
            if (c !== '/') pointer--;
          } else if (override && url.host === null) {
            url.path.push('');
          }
          break;

        case S.PATH:
          if (c === EOF || c === '/' || (isSpecial() && c === '\\') || (!override && (c === '?' || c === '#'))) {
            if (isDoubleDot(buffer)) {
              shortenPath(url);
              if (c !== '/' && !(isSpecial() && c === '\\')) url.path.push('');
            } else if (isSingleDot(buffer) && c !== '/' && !(isSpecial() && c === '\\')) {
              url.path.push('');
            } else if (!isSingleDot(buffer)) {
              if (url.scheme === 'file' && url.path.length === 0 && isWindowsDriveLetter(buffer)) {
                buffer = `${buffer[0]}:`;
              }
              url.path.push(encodeString(buffer, PATH));
            }
            buffer = '';
            if (c === '?') {
              url.query = '';
              state = S.QUERY;
            }
            if (c === '#') {
              url.fragment = '';
              state = S.FRAGMENT;
            }
          } else {
            // The rest of the segment, at once (the buffer is encoded when it ends).
            const run = isSpecial() ? (override ? SEGMENT_SPECIAL_OVERRIDE : SEGMENT_SPECIAL) : override ? SEGMENT_OVERRIDE : SEGMENT;
            const segment = runAt(run, chars, pointer);
            buffer += segment;
            pointer += segment.length - 1;
          }
          break;

        case S.OPAQUE_PATH:
          if (c === '?') {
            url.query = '';
            state = S.QUERY;
          } else if (c === '#') {
            url.fragment = '';
            state = S.FRAGMENT;
          } else if (c !== EOF) {
            const part = runAt(OPAQUE_PATH, chars, pointer);
            url.opaquePath += encodeString(part, C0_CONTROL);
            pointer += part.length - 1;
          }
          break;

        case S.QUERY:
          if ((!override && c === '#') || c === EOF) {
            url.query += encodeString(buffer, isSpecial() ? SPECIAL_QUERY : QUERY);
            buffer = '';
            if (c === '#') {
              url.fragment = '';
              state = S.FRAGMENT;
            }
          } else {
            const part = runAt(override ? REST : QUERY_RUN, chars, pointer);
            buffer += part;
            pointer += part.length - 1;
          }
          break;

        case S.FRAGMENT:
          if (c !== EOF) {
            url.fragment += encodeString(chars.slice(pointer), FRAGMENT);
            pointer = chars.length - 1;
          }
          break;
      }
    }
    return result();
  }

  function serializePath(url) {
    if (url.opaquePath !== null) return url.opaquePath;
    let out = '';
    for (const segment of url.path) out += `/${segment}`;
    return out;
  }

  function serialize(url, excludeFragment = false) {
    let out = `${url.scheme}:`;
    if (url.host !== null) {
      out += '//';
      if (includesCredentials(url)) {
        out += url.username;
        if (url.password !== '') out += `:${url.password}`;
        out += '@';
      }
      out += url.host;
      if (url.port !== null) out += `:${url.port}`;
    } else if (url.opaquePath === null && url.path.length > 1 && url.path[0] === '') {
      out += '/.';
    }
    out += serializePath(url);
    if (url.query !== null) out += `?${url.query}`;
    if (!excludeFragment && url.fragment !== null) out += `#${url.fragment}`;
    return out;
  }

  function origin(url) {
    if (url.scheme === 'blob') {
      const inner = basicParse(serializePath(url));
      return inner && (inner.scheme === 'http' || inner.scheme === 'https') ? origin(inner) : 'null';
    }
    if (isSpecialScheme(url.scheme) && url.scheme !== 'file') {
      return `${url.scheme}://${url.host}${url.port === null ? '' : `:${url.port}`}`;
    }
    return 'null';
  }

  // ----- application/x-www-form-urlencoded -----

  function parseForm(text) {
    const list = [];
    for (const sequence of text.split('&')) {
      if (sequence === '') continue;
      const at = sequence.indexOf('=');
      const name = at === -1 ? sequence : sequence.slice(0, at);
      const value = at === -1 ? '' : sequence.slice(at + 1);
      const plus = (text) => (text.includes('+') ? text.replace(/\+/g, ' ') : text);
      list.push([percentDecode(plus(name)), percentDecode(plus(value))]);
    }
    return list;
  }

  const serializeForm = (list) =>
    list.map(([name, value]) => `${encodeString(name, FORM, true)}=${encodeString(value, FORM, true)}`).join('&');

  const usv = (value) => `${value}`.toWellFormed();

  // ----- the API -----

  const searchParamsOf = new WeakMap(); // URLSearchParams -> its state {list, url}
  const recordOf = new WeakMap(); // URL -> {url: record, query: URLSearchParams}

  function update(state) {
    if (state.url === null) return;
    const record = recordOf.get(state.url).url;
    const serialized = serializeForm(state.list);
    record.query = serialized === '' ? null : serialized;
  }

  class URLSearchParams {
    constructor(init = '') {
      const state = { list: [], url: null };
      searchParamsOf.set(this, state);
      if (init instanceof URLSearchParams) {
        state.list = searchParamsOf.get(init).list.map(([name, value]) => [name, value]);
      } else if (init !== null && (typeof init === 'object' || typeof init === 'function')) {
        if (typeof init[Symbol.iterator] === 'function') {
          for (const pair of init) {
            const items = [...pair];
            if (items.length !== 2) throw new TypeError('Each query pair must be an iterable [name, value] tuple');
            state.list.push([usv(items[0]), usv(items[1])]);
          }
        } else {
          for (const key of Reflect.ownKeys(init)) {
            if (typeof key !== 'string') continue;
            const descriptor = Reflect.getOwnPropertyDescriptor(init, key);
            if (descriptor && descriptor.enumerable) state.list.push([usv(key), usv(init[key])]);
          }
        }
      } else {
        let text = usv(init);
        if (text.startsWith('?')) text = text.slice(1);
        state.list = parseForm(text);
      }
    }
    get size() {
      return searchParamsOf.get(this).list.length;
    }
    append(name, value) {
      const state = searchParamsOf.get(this);
      state.list.push([usv(name), usv(value)]);
      update(state);
    }
    delete(name, value) {
      const state = searchParamsOf.get(this);
      name = usv(name);
      const match = value === undefined ? (pair) => pair[0] === name : ((v) => (pair) => pair[0] === name && pair[1] === v)(usv(value));
      state.list = state.list.filter((pair) => !match(pair));
      update(state);
    }
    get(name) {
      name = usv(name);
      const pair = searchParamsOf.get(this).list.find((p) => p[0] === name);
      return pair ? pair[1] : null;
    }
    getAll(name) {
      name = usv(name);
      return searchParamsOf.get(this).list.filter((p) => p[0] === name).map((p) => p[1]);
    }
    has(name, value) {
      name = usv(name);
      const v = value === undefined ? undefined : usv(value);
      return searchParamsOf.get(this).list.some((p) => p[0] === name && (v === undefined || p[1] === v));
    }
    set(name, value) {
      const state = searchParamsOf.get(this);
      name = usv(name);
      value = usv(value);
      const first = state.list.findIndex((p) => p[0] === name);
      if (first === -1) {
        state.list.push([name, value]);
      } else {
        state.list[first][1] = value;
        state.list = state.list.filter((p, i) => i <= first || p[0] !== name);
      }
      update(state);
    }
    /** Sorts by name (by UTF-16 code units), keeping the order of equal names. */
    sort() {
      const state = searchParamsOf.get(this);
      state.list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      update(state);
    }
    forEach(callback, thisArg) {
      if (typeof callback !== 'function') throw new TypeError('URLSearchParams.forEach takes a function');
      const state = searchParamsOf.get(this);
      for (let i = 0; i < state.list.length; i++) callback.call(thisArg, state.list[i][1], state.list[i][0], this);
    }
    *entries() {
      const state = searchParamsOf.get(this);
      for (let i = 0; i < state.list.length; i++) yield [state.list[i][0], state.list[i][1]];
    }
    *keys() {
      for (const [name] of this.entries()) yield name;
    }
    *values() {
      for (const [, value] of this.entries()) yield value;
    }
    [Symbol.iterator]() {
      return this.entries();
    }
    toString() {
      return serializeForm(searchParamsOf.get(this).list);
    }
    get [Symbol.toStringTag]() {
      return 'URLSearchParams';
    }
  }

  function parseOrThrow(url, base) {
    let baseRecord = null;
    if (base !== undefined) {
      baseRecord = basicParse(usv(base));
      if (baseRecord === FAILURE) throw invalid(base);
    }
    const record = basicParse(usv(url), baseRecord);
    if (record === FAILURE) throw invalid(url);
    return record;
  }

  function invalid(input) {
    const error = new TypeError(`Invalid URL: ${`${input}`.length > 200 ? `${`${input}`.slice(0, 200)}...` : input}`);
    error.code = 'ERR_INVALID_URL';
    error.input = `${input}`;
    return error;
  }

  /** Sets the list of a URL's searchParams from `query` (not from its query with a leading "?" removed). */
  function setQuery(state, query) {
    searchParamsOf.get(state.query).list = parseForm(query);
  }

  class URL {
    constructor(url, base) {
      if (arguments.length === 0) throw new TypeError('The "url" argument must be specified');
      const record = parseOrThrow(url, base);
      const query = new URLSearchParams();
      const state = { url: record, query };
      setQuery(state, record.query ?? '');
      recordOf.set(this, state);
      searchParamsOf.get(query).url = this;
    }
    /** Whether `url` (against `base`) is a valid URL. */
    static canParse(url, base) {
      try {
        parseOrThrow(url, base);
        return true;
      } catch {
        return false;
      }
    }
    /** The URL, or null when it is not valid (instead of throwing). */
    static parse(url, base) {
      try {
        return new URL(url, base);
      } catch {
        return null;
      }
    }
    get href() {
      return serialize(recordOf.get(this).url);
    }
    set href(value) {
      const state = recordOf.get(this);
      const record = basicParse(usv(value));
      if (record === FAILURE) throw invalid(value);
      state.url = record;
      setQuery(state, record.query ?? '');
    }
    get origin() {
      return origin(recordOf.get(this).url);
    }
    get protocol() {
      return `${recordOf.get(this).url.scheme}:`;
    }
    set protocol(value) {
      const state = recordOf.get(this);
      basicParse(`${usv(value)}:`, null, state.url, S.SCHEME_START);
    }
    get username() {
      return recordOf.get(this).url.username;
    }
    set username(value) {
      const { url } = recordOf.get(this);
      if (cannotHaveUsernamePasswordPort(url)) return;
      url.username = encodeString(usv(value), USERINFO);
    }
    get password() {
      return recordOf.get(this).url.password;
    }
    set password(value) {
      const { url } = recordOf.get(this);
      if (cannotHaveUsernamePasswordPort(url)) return;
      url.password = encodeString(usv(value), USERINFO);
    }
    get host() {
      const { url } = recordOf.get(this);
      if (url.host === null) return '';
      return url.port === null ? url.host : `${url.host}:${url.port}`;
    }
    set host(value) {
      const state = recordOf.get(this);
      if (state.url.opaquePath !== null) return;
      basicParse(usv(value), null, state.url, S.HOST);
    }
    get hostname() {
      const { url } = recordOf.get(this);
      return url.host === null ? '' : url.host;
    }
    set hostname(value) {
      const state = recordOf.get(this);
      if (state.url.opaquePath !== null) return;
      basicParse(usv(value), null, state.url, S.HOSTNAME);
    }
    get port() {
      const { url } = recordOf.get(this);
      return url.port === null ? '' : String(url.port);
    }
    set port(value) {
      const state = recordOf.get(this);
      if (cannotHaveUsernamePasswordPort(state.url)) return;
      value = usv(value);
      if (value === '') {
        state.url.port = null;
        return;
      }
      basicParse(value, null, state.url, S.PORT);
    }
    get pathname() {
      return serializePath(recordOf.get(this).url);
    }
    set pathname(value) {
      const state = recordOf.get(this);
      if (state.url.opaquePath !== null) return;
      state.url.path = [];
      basicParse(usv(value), null, state.url, S.PATH_START);
    }
    get search() {
      const { url } = recordOf.get(this);
      return url.query === null || url.query === '' ? '' : `?${url.query}`;
    }
    set search(value) {
      const state = recordOf.get(this);
      let input = usv(value);
      if (input === '') {
        state.url.query = null;
        searchParamsOf.get(state.query).list = [];
        return;
      }
      if (input.startsWith('?')) input = input.slice(1);
      state.url.query = '';
      basicParse(input, null, state.url, S.QUERY);
      setQuery(state, input);
    }
    get searchParams() {
      return recordOf.get(this).query;
    }
    get hash() {
      const { url } = recordOf.get(this);
      return url.fragment === null || url.fragment === '' ? '' : `#${url.fragment}`;
    }
    set hash(value) {
      const { url } = recordOf.get(this);
      let input = usv(value);
      if (input === '') {
        url.fragment = null;
        return;
      }
      if (input.startsWith('#')) input = input.slice(1);
      url.fragment = '';
      basicParse(input, null, url, S.FRAGMENT);
    }
    toString() {
      return this.href;
    }
    toJSON() {
      return this.href;
    }
    get [Symbol.toStringTag]() {
      return 'URL';
    }
  }

  // How console.log shows them, as Node does (on one line).
  const inspectBefore = lib.inspectCustom;
  lib.inspectCustom = function inspectCustom(value, show) {
    if (value instanceof URL) {
      const fields = ['href', 'origin', 'protocol', 'username', 'password', 'host', 'hostname', 'port', 'pathname', 'search', 'searchParams', 'hash'];
      return `URL { ${fields.map((field) => `${field}: ${show(value[field])}`).join(', ')} }`;
    }
    if (value instanceof URLSearchParams) {
      const entries = [...value].map(([name, v]) => `${show(name)} => ${show(v)}`);
      return `URLSearchParams {${entries.length ? ` ${entries.join(', ')} ` : ''}}`;
    }
    return inspectBefore ? inspectBefore(value, show) : undefined;
  };

  lib.expose({ URL, URLSearchParams });
});
