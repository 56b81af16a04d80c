// `Intl` for English: NumberFormat, DateTimeFormat (UTC and fixed offsets), Collator, PluralRules, ListFormat and RelativeTimeFormat, as Node (ICU) formats en-US; the locale methods of String, Number, BigInt and Date use them.
//
// QuickJS has no Intl. This is en-US's CLDR data for the common cases, checked
// against Node 20 (ICU 78); anything it cannot honour (another locale, an IANA
// time zone, a unit style) throws a RangeError that says so, never a silently
// different answer.
(function (native, lib) {
  'use strict';
  const hasOwn = (object, key) => Object.prototype.hasOwnProperty.call(object, key);
  const defineValue = (object, name, value) =>
    Object.defineProperty(object, name, { value, writable: true, configurable: true, enumerable: false });

  // ----- locales -----

  const LANGUAGE_TAG = /^[a-z]{2,3}(-[a-z]{4})?(-([a-z]{2}|[0-9]{3}))?(-([a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*(-[a-wy-z0-9](-[a-z0-9]{2,8})+)*(-x(-[a-z0-9]{1,8})+)?$/i;

  function canonicalize(tag) {
    if (typeof tag !== 'string' && !(tag !== null && typeof tag === 'object')) {
      throw new TypeError('Language ID should be string or object.');
    }
    tag = `${tag}`;
    if (!LANGUAGE_TAG.test(tag)) throw new RangeError(`Incorrect locale information provided: ${JSON.stringify(tag)}`);
    const parts = tag.toLowerCase().split('-');
    let singleton = false;
    return parts
      .map((part, i) => {
        if (i === 0 || singleton) return part;
        if (part.length === 1) {
          singleton = true;
          return part;
        }
        if (part.length === 2) return part.toUpperCase();
        if (part.length === 4 && /^[a-z]/.test(part)) return part[0].toUpperCase() + part.slice(1);
        return part;
      })
      .join('-');
  }

  function canonicalLocales(locales) {
    if (locales === undefined) return [];
    const list = typeof locales === 'string' || !(locales !== null && typeof locales === 'object') ? [locales] : [...locales];
    const seen = [];
    for (const tag of list) {
      const canonical = canonicalize(tag);
      if (!seen.includes(canonical)) seen.push(canonical);
    }
    return seen;
  }

  /** Whether Sluice has this locale's data: English with no region or the US one. */
  function isSupported(tag) {
    const [language, ...rest] = tag.split('-u-')[0].split('-');
    const region = rest.find((part) => /^([A-Z]{2}|[0-9]{3})$/.test(part));
    return language === 'en' && (region === undefined || region === 'US');
  }

  /**
   * The locale to format for: the first one asked for, which must be English
   * (`en`, `en-US`); an empty list means `en-US`. Returns the tag (without
   * extensions) and its `-u-` keywords.
   */
  function resolveLocale(locales, constructor) {
    const requested = canonicalLocales(locales);
    if (requested.length === 0) return { locale: 'en-US', keywords: {} };
    const tag = requested[0];
    if (!isSupported(tag)) {
      throw new RangeError(
        `Sluice's Intl has English (en-US) data only, so the locale "${tag}" is not available for Intl.${constructor}; ` +
          `use "en-US" (or leave the locale out), or format the value yourself`,
      );
    }
    const [main, extension] = tag.split('-u-');
    const keywords = {};
    if (extension !== undefined) {
      let key = null;
      for (const part of extension.split('-')) {
        if (part.length === 2) {
          key = part;
          keywords[key] = 'true';
        } else if (key !== null) {
          keywords[key] = keywords[key] === 'true' ? part : `${keywords[key]}-${part}`;
        }
      }
    }
    return { locale: main, keywords };
  }

  function supportedLocalesOf(locales) {
    return canonicalLocales(locales).filter(isSupported);
  }

  // ----- options -----

  function toOptions(options) {
    if (options === undefined) return Object.create(null);
    if (options === null) throw new TypeError('Cannot convert undefined or null to object');
    return Object(options);
  }

  function getOption(options, name, allowed, fallback, constructor) {
    let value = options[name];
    if (value === undefined) return fallback;
    if (allowed === 'boolean') return Boolean(value);
    value = `${value}`;
    if (allowed !== undefined && !allowed.includes(value)) {
      throw new RangeError(`Value ${value} out of range for Intl.${constructor} options property ${name}`);
    }
    return value;
  }

  function getNumberOption(options, name, minimum, maximum, fallback) {
    let value = options[name];
    if (value === undefined) return fallback;
    value = Number(value);
    if (Number.isNaN(value) || value < minimum || value > maximum) throw new RangeError(`${name} value is out of range.`);
    return Math.floor(value);
  }

  // ----- exact decimal arithmetic on a number's shortest digits -----

  // A finite decimal: 0.d1d2d3... x 10^point, `digits` without leading or
  // trailing zeros ("" for zero). ICU rounds the shortest representation, so
  // 1.005 rounds to 1.01 (not 1.00, as 1.005.toFixed(2) does).
  function toDecimal(value) {
    let text;
    if (typeof value === 'bigint') text = `${value < 0n ? -value : value}`;
    else text = `${Math.abs(value)}`;
    let exponent = 0;
    const e = text.indexOf('e');
    if (e !== -1) {
      exponent = Number(text.slice(e + 1));
      text = text.slice(0, e);
    }
    const dot = text.indexOf('.');
    const integer = dot === -1 ? text : text.slice(0, dot);
    let digits = dot === -1 ? text : integer + text.slice(dot + 1);
    let point = integer.length + exponent;
    let start = 0;
    while (start < digits.length && digits[start] === '0') start++;
    digits = digits.slice(start);
    point -= start;
    digits = digits.replace(/0+$/, '');
    if (digits === '') point = 0;
    return { digits, point };
  }

  /** Rounds to a multiple of 10^exponent with `mode`; `negative` is the value's sign. */
  function roundTo(decimal, exponent, mode, negative) {
    const { digits, point } = decimal;
    const keep = point - exponent;
    if (keep >= digits.length) return decimal;
    const kept = keep > 0 ? digits.slice(0, keep) : '';
    const first = keep >= 0 ? Number(digits[keep]) : 0;
    const beyond = keep >= 0 ? digits.length > keep + 1 : true;
    // Compared with half a unit of the last kept place: 1 above, 0 exactly, -1 below.
    const half = first > 5 || (first === 5 && beyond) ? 1 : first === 5 ? 0 : -1;
    const lastOdd = kept !== '' && Number(kept[kept.length - 1]) % 2 === 1;
    let up;
    switch (mode) {
      case 'ceil':
        up = !negative;
        break;
      case 'floor':
        up = negative;
        break;
      case 'expand':
        up = true;
        break;
      case 'trunc':
        up = false;
        break;
      case 'halfCeil':
        up = half > 0 || (half === 0 && !negative);
        break;
      case 'halfFloor':
        up = half > 0 || (half === 0 && negative);
        break;
      case 'halfTrunc':
        up = half > 0;
        break;
      case 'halfEven':
        up = half > 0 || (half === 0 && lastOdd);
        break;
      default: // halfExpand
        up = half >= 0;
    }
    if (!up) {
      const trimmed = kept.replace(/0+$/, '');
      return trimmed === '' ? { digits: '', point: 0 } : { digits: trimmed, point };
    }
    if (kept === '') return { digits: '1', point: exponent + 1 };
    // Add one unit in the last kept place.
    const chars = kept.split('');
    let i = chars.length - 1;
    while (i >= 0 && chars[i] === '9') chars[i--] = '0';
    if (i < 0) return { digits: `1${chars.join('')}`.replace(/0+$/, ''), point: point + 1 };
    chars[i] = String(Number(chars[i]) + 1);
    return { digits: chars.join('').replace(/0+$/, ''), point };
  }

  const isZero = (decimal) => decimal.digits === '';
  const shift = (decimal, places) => (isZero(decimal) ? decimal : { digits: decimal.digits, point: decimal.point + places });
  /** The exponent of the leading digit (0 for zero). */
  const magnitude = (decimal) => (isZero(decimal) ? 0 : decimal.point - 1);

  /** Integer and fraction digit strings of a decimal, the fraction at least `minFraction` long. */
  function digitStrings(decimal, minInteger, minFraction) {
    const { digits, point } = decimal;
    let integer;
    let fraction;
    if (point <= 0) {
      integer = '';
      fraction = '0'.repeat(-point) + digits;
    } else if (point >= digits.length) {
      integer = digits + '0'.repeat(point - digits.length);
      fraction = '';
    } else {
      integer = digits.slice(0, point);
      fraction = digits.slice(point);
    }
    if (integer.length < minInteger) integer = '0'.repeat(minInteger - integer.length) + integer;
    if (fraction.length < minFraction) fraction += '0'.repeat(minFraction - fraction.length);
    return { integer, fraction };
  }

  // ----- NumberFormat -----

  // code: [symbol, narrow symbol, fraction digits, name, plural name]
  const CURRENCIES = {};
  for (const row of (
    'USD,$,$,2,US dollar,US dollars;EUR,€,€,2,euro,euros;GBP,£,£,2,British pound,British pounds;JPY,¥,¥,0,Japanese yen,Japanese yen;' +
    'CHF,CHF,CHF,2,Swiss franc,Swiss francs;CAD,CA$,$,2,Canadian dollar,Canadian dollars;AUD,A$,$,2,Australian dollar,Australian dollars;' +
    'INR,₹,₹,2,Indian rupee,Indian rupees;CNY,CN¥,¥,2,Chinese yuan,Chinese yuan;KRW,₩,₩,0,South Korean won,South Korean won;' +
    'BRL,R$,R$,2,Brazilian real,Brazilian reals;MXN,MX$,$,2,Mexican peso,Mexican pesos;SEK,SEK,kr,2,Swedish krona,Swedish kronor;' +
    'NOK,NOK,kr,2,Norwegian krone,Norwegian kroner;DKK,DKK,kr,2,Danish krone,Danish kroner;PLN,PLN,zł,2,Polish zloty,Polish zlotys;' +
    'RUB,RUB,₽,2,Russian ruble,Russian rubles;TRY,TRY,₺,2,Turkish lira,Turkish Lira;ZAR,ZAR,R,2,South African rand,South African rand;' +
    'HKD,HK$,$,2,Hong Kong dollar,Hong Kong dollars;SGD,SGD,$,2,Singapore dollar,Singapore dollars;NZD,NZ$,$,2,New Zealand dollar,New Zealand dollars;' +
    'ILS,₪,₪,2,Israeli new shekel,Israeli new shekels;THB,THB,฿,2,Thai baht,Thai baht;VND,₫,₫,0,Vietnamese dong,Vietnamese dong;' +
    'IDR,IDR,Rp,0,Indonesian rupiah,Indonesian rupiahs;PHP,₱,₱,2,Philippine peso,Philippine pesos;TWD,NT$,$,2,New Taiwan dollar,New Taiwan dollars;' +
    'CZK,CZK,Kč,2,Czech koruna,Czech korunas;HUF,HUF,Ft,0,Hungarian forint,Hungarian forints;CLP,CLP,$,0,Chilean peso,Chilean pesos;' +
    'COP,COP,$,0,Colombian peso,Colombian pesos;ARS,ARS,$,2,Argentine peso,Argentine pesos;SAR,SAR,SAR,2,Saudi riyal,Saudi riyals;' +
    'AED,AED,AED,2,UAE dirham,UAE dirhams;EGP,EGP,E£,2,Egyptian pound,Egyptian pounds;NGN,NGN,₦,2,Nigerian naira,Nigerian nairas;' +
    'KWD,KWD,KWD,3,Kuwaiti dinar,Kuwaiti dinars;BHD,BHD,BHD,3,Bahraini dinar,Bahraini dinars;ISK,ISK,kr,0,Icelandic króna,Icelandic krónur;' +
    'UAH,UAH,₴,2,Ukrainian hryvnia,Ukrainian hryvnias;PKR,PKR,Rs,0,Pakistani rupee,Pakistani rupees;BDT,BDT,৳,2,Bangladeshi taka,Bangladeshi takas;' +
    'MYR,MYR,RM,2,Malaysian ringgit,Malaysian ringgits;RON,RON,lei,2,Romanian leu,Romanian lei;BGN,BGN,BGN,2,Bulgarian lev,Bulgarian leva;' +
    'PEN,PEN,PEN,2,Peruvian sol,Peruvian soles;QAR,QAR,QAR,2,Qatari riyal,Qatari riyals;OMR,OMR,OMR,3,Omani rial,Omani rials;' +
    'JOD,JOD,JOD,3,Jordanian dinar,Jordanian dinars;TND,TND,TND,3,Tunisian dinar,Tunisian dinars;KES,KES,KES,2,Kenyan shilling,Kenyan shillings;' +
    'MAD,MAD,MAD,2,Moroccan dirham,Moroccan dirhams;LKR,LKR,Rs,2,Sri Lankan rupee,Sri Lankan rupees'
  ).split(';')) {
    const [code, symbol, narrow, digits, one, other] = row.split(',');
    CURRENCIES[code] = { symbol, narrow, digits: Number(digits), one, other };
  }
  const currencyData = (code) => CURRENCIES[code] || { symbol: code, narrow: code, digits: 2, one: code, other: code };

  const COMPACT = { short: ['K', 'M', 'B', 'T'], long: [' thousand', ' million', ' billion', ' trillion'] };
  const NBSP = '\u00a0';

  const numberFormatState = new WeakMap();

  function numberFormatOptions(locales, options, defaults = {}) {
    const { locale } = resolveLocale(locales, 'NumberFormat');
    options = toOptions(options);
    const C = 'NumberFormat';
    const state = { locale };
    getOption(options, 'localeMatcher', ['lookup', 'best fit'], 'best fit', C);
    const numberingSystem = getOption(options, 'numberingSystem', undefined, 'latn', C);
    if (numberingSystem !== 'latn') throw new RangeError(`Sluice's Intl writes Latin digits only (numberingSystem "latn"), not "${numberingSystem}"`);
    state.style = getOption(options, 'style', ['decimal', 'percent', 'currency', 'unit'], 'decimal', C);
    if (state.style === 'unit') {
      throw new RangeError('Sluice\'s Intl.NumberFormat has no unit data: style "unit" is not available; use "decimal" and append the unit yourself');
    }
    let currency = options.currency;
    if (currency !== undefined) {
      currency = `${currency}`;
      if (!/^[a-zA-Z]{3}$/.test(currency)) throw new RangeError(`Invalid currency code : ${currency}`);
      currency = currency.toUpperCase();
    }
    state.currencyDisplay = getOption(options, 'currencyDisplay', ['code', 'symbol', 'narrowSymbol', 'name'], 'symbol', C);
    state.currencySign = getOption(options, 'currencySign', ['standard', 'accounting'], 'standard', C);
    if (state.style === 'currency') {
      if (currency === undefined) throw new TypeError('Currency code is required with currency style.');
      state.currency = currency;
    }
    state.notation = getOption(options, 'notation', ['standard', 'scientific', 'engineering', 'compact'], 'standard', C);

    // Digit options, as ECMA-402's SetNumberFormatDigitOptions.
    const currencyDigits = state.style === 'currency' ? currencyData(currency).digits : 0;
    let minFractionDefault = state.style === 'currency' && state.notation !== 'compact' ? currencyDigits : 0;
    let maxFractionDefault =
      state.style === 'currency' && state.notation !== 'compact' ? Math.max(minFractionDefault, currencyDigits) : state.style === 'percent' ? 0 : 3;
    if (defaults.maxFraction !== undefined) maxFractionDefault = Math.max(minFractionDefault, defaults.maxFraction);
    if (state.notation === 'compact') maxFractionDefault = 0;
    state.minimumIntegerDigits = getNumberOption(options, 'minimumIntegerDigits', 1, 21, 1);
    const mnfd = options.minimumFractionDigits;
    const mxfd = options.maximumFractionDigits;
    const mnsd = options.minimumSignificantDigits;
    const mxsd = options.maximumSignificantDigits;
    state.roundingIncrement = getNumberOption(options, 'roundingIncrement', 1, 5000, 1);
    if (state.roundingIncrement !== 1) {
      throw new RangeError('Sluice\'s Intl.NumberFormat rounds to powers of ten only: roundingIncrement must be 1');
    }
    state.roundingMode = getOption(
      options, 'roundingMode',
      ['ceil', 'floor', 'expand', 'trunc', 'halfCeil', 'halfFloor', 'halfExpand', 'halfTrunc', 'halfEven'],
      'halfExpand', C,
    );
    state.roundingPriority = getOption(options, 'roundingPriority', ['auto', 'morePrecision', 'lessPrecision'], 'auto', C);
    state.trailingZeroDisplay = getOption(options, 'trailingZeroDisplay', ['auto', 'stripIfInteger'], 'auto', C);
    const hasSignificant = mnsd !== undefined || mxsd !== undefined;
    const hasFraction = mnfd !== undefined || mxfd !== undefined;
    const needSignificant = state.roundingPriority !== 'auto' || hasSignificant;
    const needFraction = state.roundingPriority !== 'auto' || !(hasSignificant || (!hasFraction && state.notation === 'compact'));
    if (needSignificant) {
      state.minimumSignificantDigits = getNumberOption(options, 'minimumSignificantDigits', 1, 21, 1);
      state.maximumSignificantDigits = getNumberOption(options, 'maximumSignificantDigits', state.minimumSignificantDigits, 21, 21);
    }
    if (needFraction) {
      let minimum = getNumberOption(options, 'minimumFractionDigits', 0, 100, undefined);
      let maximum = getNumberOption(options, 'maximumFractionDigits', 0, 100, undefined);
      if (minimum === undefined && maximum === undefined) {
        minimum = minFractionDefault;
        maximum = maxFractionDefault;
      } else if (minimum === undefined) {
        minimum = Math.min(minFractionDefault, maximum);
      } else if (maximum === undefined) {
        maximum = Math.max(maxFractionDefault, minimum);
      } else if (minimum > maximum) {
        throw new RangeError('maximumFractionDigits value is out of range.');
      }
      state.minimumFractionDigits = minimum;
      state.maximumFractionDigits = maximum;
    }
    if (!needSignificant && !needFraction) {
      // compact notation without digit options: two significant digits, but never fewer integer digits
      state.minimumFractionDigits = 0;
      state.maximumFractionDigits = 0;
      state.minimumSignificantDigits = 1;
      state.maximumSignificantDigits = 2;
      state.roundingType = 'morePrecision';
    } else if (needSignificant && needFraction) {
      state.roundingType = state.roundingPriority;
    } else {
      state.roundingType = needSignificant ? 'significantDigits' : 'fractionDigits';
    }
    state.compactDisplay = getOption(options, 'compactDisplay', ['short', 'long'], 'short', C);
    const grouping = options.useGrouping;
    const groupingDefault = state.notation === 'compact' ? 'min2' : 'auto';
    if (grouping === undefined) state.useGrouping = groupingDefault;
    else if (grouping === true || grouping === 'true' || grouping === 'always') state.useGrouping = 'always';
    else if (grouping === false || grouping === 'false' || grouping === null || grouping === '') state.useGrouping = false;
    else if (['auto', 'min2'].includes(`${grouping}`)) state.useGrouping = `${grouping}`;
    else throw new RangeError(`Value ${grouping} out of range for Intl.NumberFormat options property useGrouping`);
    state.signDisplay = getOption(options, 'signDisplay', ['auto', 'never', 'always', 'exceptZero', 'negative'], 'auto', C);
    return state;
  }

  function roundNumber(state, decimal, negative) {
    const byFraction = () => roundTo(decimal, -state.maximumFractionDigits, state.roundingMode, negative);
    const bySignificant = () => roundTo(decimal, magnitude(decimal) + 1 - state.maximumSignificantDigits, state.roundingMode, negative);
    switch (state.roundingType) {
      case 'fractionDigits':
        return { value: byFraction(), minFraction: state.minimumFractionDigits };
      case 'significantDigits': {
        const value = bySignificant();
        const minFraction = Math.max(0, state.minimumSignificantDigits - (isZero(value) ? 1 : value.point));
        return { value, minFraction };
      }
      default: {
        // morePrecision / lessPrecision: the rounding at the lower (or higher) place wins.
        const significantPlace = magnitude(decimal) + 1 - state.maximumSignificantDigits;
        const fractionPlace = -state.maximumFractionDigits;
        const useSignificant =
          state.roundingType === 'morePrecision' ? significantPlace <= fractionPlace : significantPlace >= fractionPlace;
        if (useSignificant) {
          const value = bySignificant();
          return { value, minFraction: Math.max(0, state.minimumSignificantDigits - (isZero(value) ? 1 : value.point)) };
        }
        return { value: byFraction(), minFraction: state.minimumFractionDigits };
      }
    }
  }

  function group(integer, useGrouping) {
    if (useGrouping === false || (useGrouping === 'min2' && integer.length < 5) || integer.length <= 3) return [integer];
    const groups = [];
    let end = integer.length;
    for (; end > 3; end -= 3) groups.unshift(integer.slice(end - 3, end));
    groups.unshift(integer.slice(0, end));
    return groups;
  }

  /** The parts of a formatted number, as formatToParts gives them. */
  function formatNumberToParts(state, value) {
    const parts = [];
    const push = (type, text) => parts.push({ type, value: text });
    let negative;
    let numberParts = [];
    let exponent = null;
    let compactSuffix = '';
    let zero;
    if (typeof value === 'bigint') {
      negative = value < 0n;
    } else {
      value = Number(value);
      negative = value < 0 || Object.is(value, -0);
    }
    if (typeof value === 'number' && Number.isNaN(value)) {
      numberParts = [{ type: 'nan', value: 'NaN' }];
      zero = false;
      negative = false;
    } else if (typeof value === 'number' && !Number.isFinite(value)) {
      numberParts = [{ type: 'infinity', value: '∞' }];
      zero = false;
    } else {
      let decimal = toDecimal(value);
      if (state.style === 'percent') decimal = shift(decimal, 2);
      let rounded;
      if (state.notation === 'scientific' || state.notation === 'engineering') {
        const step = state.notation === 'engineering' ? 3 : 1;
        let power = Math.floor(magnitude(decimal) / step) * step;
        rounded = roundNumber(state, shift(decimal, -power), negative);
        if (magnitude(rounded.value) >= step) {
          power += step;
          rounded = roundNumber(state, shift(decimal, -power), negative);
        }
        exponent = power;
      } else if (state.notation === 'compact') {
        let power = Math.min(Math.floor(magnitude(decimal) / 3) * 3, 12);
        if (power < 3) power = 0;
        rounded = roundNumber(state, shift(decimal, -power), negative);
        if (power < 12 && magnitude(rounded.value) >= 3 && power + 3 >= 3) {
          power += 3;
          rounded = roundNumber(state, shift(decimal, -power), negative);
        }
        if (power > 0) compactSuffix = COMPACT[state.compactDisplay][power / 3 - 1];
      } else {
        rounded = roundNumber(state, decimal, negative);
      }
      zero = isZero(rounded.value);
      const { integer, fraction } = digitStrings(rounded.value, state.minimumIntegerDigits, rounded.minFraction);
      const integerDigits = integer === '' ? '0' : integer;
      const shownFraction = state.trailingZeroDisplay === 'stripIfInteger' && /^0*$/.test(fraction) ? '' : fraction;
      group(integerDigits, state.useGrouping).forEach((digits, i) => {
        if (i > 0) numberParts.push({ type: 'group', value: ',' });
        numberParts.push({ type: 'integer', value: digits });
      });
      if (shownFraction !== '') {
        numberParts.push({ type: 'decimal', value: '.' });
        numberParts.push({ type: 'fraction', value: shownFraction });
      }
      if (exponent !== null) {
        numberParts.push({ type: 'exponentSeparator', value: 'E' });
        if (exponent < 0) numberParts.push({ type: 'exponentMinusSign', value: '-' });
        numberParts.push({ type: 'exponentInteger', value: String(Math.abs(exponent)) });
      }
      if (compactSuffix !== '') {
        if (compactSuffix.startsWith(' ')) numberParts.push({ type: 'literal', value: ' ' });
        numberParts.push({ type: 'compact', value: compactSuffix.trim() });
      }
    }

    let sign = '';
    switch (state.signDisplay) {
      case 'auto':
        sign = negative ? '-' : '';
        break;
      case 'always':
        sign = negative ? '-' : '+';
        break;
      case 'exceptZero':
        sign = zero || Number.isNaN(value) ? '' : negative ? '-' : '+';
        break;
      case 'negative':
        sign = negative && !zero ? '-' : '';
        break;
      default:
        sign = '';
    }
    const accounting = state.style === 'currency' && state.currencySign === 'accounting' && sign === '-';
    if (accounting) push('literal', '(');
    else if (sign !== '') push(sign === '-' ? 'minusSign' : 'plusSign', sign);

    if (state.style === 'currency') {
      const data = currencyData(state.currency);
      if (state.currencyDisplay === 'name') {
        parts.push(...numberParts);
        const text = numberParts.map((part) => part.value).join('');
        push('literal', ' ');
        push('currency', text === '1' ? data.one : data.other);
      } else {
        const symbol = state.currencyDisplay === 'code' ? state.currency : state.currencyDisplay === 'narrowSymbol' ? data.narrow : data.symbol;
        push('currency', symbol);
        // ICU puts a no-break space between a symbol ending in a letter and the digits.
        if (/\p{L}$/u.test(symbol) && numberParts[0].type === 'integer') push('literal', NBSP);
        parts.push(...numberParts);
      }
    } else {
      parts.push(...numberParts);
      if (state.style === 'percent') push('percentSign', '%');
    }
    if (accounting) push('literal', ')');
    return parts;
  }

  const joinParts = (parts) => parts.map((part) => part.value).join('');

  function numberFormatValue(value) {
    if (typeof value === 'bigint') return value;
    if (typeof value === 'string') {
      const trimmed = value.trim();
      if (/^[+-]?\d+$/.test(trimmed) && trimmed.replace(/^[+-]?0*/, '').length > 15) return BigInt(trimmed);
    }
    return Number(value);
  }

  class NumberFormat {
    constructor(locales, options) {
      numberFormatState.set(this, numberFormatOptions(locales, options));
    }
    /** Formats a number (or bigint), as a function bound to this formatter. */
    get format() {
      const state = numberFormatState.get(this);
      if (state === undefined) throw new TypeError('Method get Intl.NumberFormat.prototype.format called on incompatible receiver');
      return (state.bound ??= (value) => joinParts(formatNumberToParts(state, numberFormatValue(value))));
    }
    formatToParts(value) {
      return formatNumberToParts(numberFormatState.get(this), numberFormatValue(value));
    }
    resolvedOptions() {
      const state = numberFormatState.get(this);
      const result = { locale: state.locale, numberingSystem: 'latn', style: state.style };
      if (state.style === 'currency') {
        result.currency = state.currency;
        result.currencyDisplay = state.currencyDisplay;
        result.currencySign = state.currencySign;
      }
      result.minimumIntegerDigits = state.minimumIntegerDigits;
      if (state.roundingType !== 'fractionDigits') {
        result.minimumSignificantDigits = state.minimumSignificantDigits;
        result.maximumSignificantDigits = state.maximumSignificantDigits;
      }
      if (state.roundingType !== 'significantDigits') {
        result.minimumFractionDigits = state.minimumFractionDigits;
        result.maximumFractionDigits = state.maximumFractionDigits;
      }
      result.useGrouping = state.useGrouping;
      result.notation = state.notation;
      if (state.notation === 'compact') result.compactDisplay = state.compactDisplay;
      result.signDisplay = state.signDisplay;
      result.roundingMode = state.roundingMode;
      result.roundingIncrement = state.roundingIncrement;
      result.trailingZeroDisplay = state.trailingZeroDisplay;
      result.roundingPriority = state.roundingType === 'morePrecision' ? 'morePrecision' : state.roundingPriority;
      return result;
    }
    static supportedLocalesOf(locales) {
      return supportedLocalesOf(locales);
    }
  }
  defineValue(NumberFormat.prototype, Symbol.toStringTag, 'Intl.NumberFormat');

  // ----- PluralRules (English) -----

  const pluralState = new WeakMap();
  class PluralRules {
    constructor(locales, options) {
      options = toOptions(options);
      const type = getOption(options, 'type', ['cardinal', 'ordinal'], 'cardinal', 'PluralRules');
      const state = numberFormatOptions(locales, options);
      state.type = type;
      state.style = 'decimal';
      state.useGrouping = false;
      state.signDisplay = 'never';
      pluralState.set(this, state);
    }
    /** "one" or "other" (ordinals: "one", "two", "few", "other"), as English says it. */
    select(value) {
      const state = pluralState.get(this);
      const number = Number(value);
      if (!Number.isFinite(number)) return 'other';
      const text = joinParts(formatNumberToParts(state, number));
      const [integer, fraction = ''] = text.split('.');
      if (state.type === 'ordinal') {
        if (fraction !== '') return 'other';
        const n = Number(integer);
        if (n % 10 === 1 && n % 100 !== 11) return 'one';
        if (n % 10 === 2 && n % 100 !== 12) return 'two';
        if (n % 10 === 3 && n % 100 !== 13) return 'few';
        return 'other';
      }
      return integer === '1' && fraction === '' ? 'one' : 'other';
    }
    resolvedOptions() {
      const state = pluralState.get(this);
      return {
        locale: state.locale,
        type: state.type,
        minimumIntegerDigits: state.minimumIntegerDigits,
        minimumFractionDigits: state.minimumFractionDigits,
        maximumFractionDigits: state.maximumFractionDigits,
        pluralCategories: state.type === 'ordinal' ? ['few', 'one', 'two', 'other'] : ['one', 'other'],
      };
    }
    static supportedLocalesOf(locales) {
      return supportedLocalesOf(locales);
    }
  }
  defineValue(PluralRules.prototype, Symbol.toStringTag, 'Intl.PluralRules');

  // ----- time zones -----

  /**
   * A time zone Sluice can do: UTC or a fixed offset from it, as
   * `{name, offset}` (minutes east of UTC). A named zone would need the time
   * zone database, which the sandbox does not have.
   */
  function resolveTimeZone(value) {
    if (value === undefined) return { name: 'UTC', offset: 0 };
    const text = `${value}`;
    const upper = text.toUpperCase();
    if (['UTC', 'ETC/UTC', 'GMT', 'ETC/GMT', 'ETC/UCT', 'UCT', 'ETC/ZULU', 'ZULU', 'ETC/UNIVERSAL', 'UNIVERSAL', 'ETC/GREENWICH', 'GREENWICH', 'ETC/GMT0', 'GMT0', 'ETC/GMT+0', 'ETC/GMT-0', 'GMT+0', 'GMT-0'].includes(upper)) {
      return { name: 'UTC', offset: 0 };
    }
    let match = /^ETC\/GMT([+-])(\d{1,2})$/.exec(upper);
    if (match && Number(match[2]) <= 14) {
      // The IANA names count the other way round: Etc/GMT-5 is UTC+5.
      const hours = Number(match[2]);
      return { name: `Etc/GMT${match[1]}${hours}`, offset: (match[1] === '+' ? -1 : 1) * hours * 60 };
    }
    match = /^([+-])(\d{2})(?::?(\d{2}))?$/.exec(text);
    if (match && Number(match[2]) <= 23 && Number(match[3] || 0) <= 59) {
      const minutes = Number(match[2]) * 60 + Number(match[3] || 0);
      const name = `${match[1]}${match[2]}:${match[3] || '00'}`;
      return { name, offset: (match[1] === '-' ? -1 : 1) * minutes };
    }
    if (/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)+$/.test(text) || /^[A-Z]{3,5}\d?([A-Z]{3})?$/.test(text)) {
      throw new RangeError(
        `Sluice has no time zone database, so timeZone "${text}" is not available. Use timeZone "UTC" or a fixed ` +
          'offset such as "-05:00" (which does not follow daylight saving time), or have a time tool convert the ' +
          'time (for example the MCP time server\'s convert_time).',
      );
    }
    throw new RangeError(`Invalid time zone specified: ${text}`);
  }

  // ----- DateTimeFormat (en-US, Gregorian) -----

  const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
  const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
  const ERAS = { short: ['BC', 'AD'], long: ['Before Christ', 'Anno Domini'], narrow: ['B', 'A'] };
  const pad2 = (n) => (n < 10 ? `0${n}` : `${n}`);

  const DATE_FIELDS = ['weekday', 'era', 'year', 'month', 'day'];
  const TIME_FIELDS = ['dayPeriod', 'hour', 'minute', 'second', 'fractionalSecondDigits'];
  const FIELD_VALUES = {
    weekday: ['narrow', 'short', 'long'],
    era: ['narrow', 'short', 'long'],
    year: ['2-digit', 'numeric'],
    month: ['2-digit', 'numeric', 'narrow', 'short', 'long'],
    day: ['2-digit', 'numeric'],
    dayPeriod: ['narrow', 'short', 'long'],
    hour: ['2-digit', 'numeric'],
    minute: ['2-digit', 'numeric'],
    second: ['2-digit', 'numeric'],
    timeZoneName: ['short', 'long', 'shortOffset', 'longOffset', 'shortGeneric', 'longGeneric'],
  };

  const dateTimeState = new WeakMap();

  /** `required`: "date", "time" or "any"; `defaults`: "date", "time" or "all" (ECMA-402's ToDateTimeOptions). */
  function dateTimeOptions(locales, options, required = 'any', defaults = 'date') {
    const { locale, keywords } = resolveLocale(locales, 'DateTimeFormat');
    options = toOptions(options);
    const C = 'DateTimeFormat';
    if (keywords.ca !== undefined && keywords.ca !== 'gregory') throw new RangeError(`Sluice's Intl has the Gregorian calendar only, not "${keywords.ca}"`);
    const calendar = getOption(options, 'calendar', undefined, 'gregory', C);
    if (calendar !== 'gregory') throw new RangeError(`Sluice's Intl has the Gregorian calendar only, not "${calendar}"`);
    const numberingSystem = getOption(options, 'numberingSystem', undefined, 'latn', C);
    if (numberingSystem !== 'latn') throw new RangeError(`Sluice's Intl writes Latin digits only (numberingSystem "latn"), not "${numberingSystem}"`);
    const state = { locale };
    const hour12 = options.hour12 === undefined ? undefined : Boolean(options.hour12);
    let hourCycle = getOption(options, 'hourCycle', ['h11', 'h12', 'h23', 'h24'], undefined, C);
    if (hourCycle === undefined && keywords.hc !== undefined) hourCycle = keywords.hc;
    state.timeZone = resolveTimeZone(options.timeZone);
    for (const field of [...DATE_FIELDS, ...TIME_FIELDS.slice(0, 4)]) {
      state[field] = getOption(options, field, FIELD_VALUES[field], undefined, C);
    }
    state.fractionalSecondDigits = getNumberOption(options, 'fractionalSecondDigits', 1, 3, undefined);
    state.timeZoneName = getOption(options, 'timeZoneName', FIELD_VALUES.timeZoneName, undefined, C);
    getOption(options, 'formatMatcher', ['basic', 'best fit'], 'best fit', C);
    state.dateStyle = getOption(options, 'dateStyle', ['full', 'long', 'medium', 'short'], undefined, C);
    state.timeStyle = getOption(options, 'timeStyle', ['full', 'long', 'medium', 'short'], undefined, C);
    if (state.dateStyle !== undefined || state.timeStyle !== undefined) {
      for (const field of [...DATE_FIELDS, ...TIME_FIELDS, 'timeZoneName']) {
        if (state[field] !== undefined) {
          throw new TypeError(`Can't set option ${field} when ${state.dateStyle !== undefined ? 'dateStyle' : 'timeStyle'} is used`);
        }
      }
      if (required === 'date' && state.dateStyle === undefined) throw new TypeError('Invalid option : dateStyle');
      if (required === 'time' && state.timeStyle === undefined) throw new TypeError('Invalid option : timeStyle');
    } else {
      const needDefaults =
        (required === 'time' || !DATE_FIELDS.slice(0, 1).concat(['year', 'month', 'day']).some((f) => state[f] !== undefined)) &&
        (required === 'date' || !['dayPeriod', 'hour', 'minute', 'second', 'fractionalSecondDigits'].some((f) => state[f] !== undefined));
      if (needDefaults && (defaults === 'date' || defaults === 'all')) {
        state.year = state.month = state.day = 'numeric';
      }
      if (needDefaults && (defaults === 'time' || defaults === 'all')) {
        state.hour = state.minute = state.second = 'numeric';
      }
    }
    const usesHour = state.hour !== undefined || state.timeStyle !== undefined;
    if (usesHour) {
      // hour12: false is h23 (00:00 to 23:59), as ECMA-402 says since 2023; Node 20
      // still follows the older rule and shows midnight as 24:00 in en-US.
      if (hour12 !== undefined) hourCycle = hour12 ? 'h12' : 'h23';
      state.hourCycle = hourCycle ?? 'h12';
    }
    return state;
  }

  /** The calendar fields of `time` (ms since the epoch) in the zone's wall time. */
  function fieldsOf(time, timeZone) {
    const date = new Date(time + timeZone.offset * 60000);
    return {
      year: date.getUTCFullYear(),
      month: date.getUTCMonth(),
      day: date.getUTCDate(),
      weekday: date.getUTCDay(),
      hour: date.getUTCHours(),
      minute: date.getUTCMinutes(),
      second: date.getUTCSeconds(),
      millisecond: date.getUTCMilliseconds(),
    };
  }

  function offsetName(offset, long) {
    const sign = offset < 0 ? '-' : '+';
    const hours = Math.floor(Math.abs(offset) / 60);
    const minutes = Math.abs(offset) % 60;
    if (long) return `GMT${sign}${pad2(hours)}:${pad2(minutes)}`;
    return `GMT${sign}${hours}${minutes ? `:${pad2(minutes)}` : ''}`;
  }

  function zoneName(timeZone, style) {
    const utc = timeZone.name === 'UTC';
    switch (style) {
      case 'long':
        return utc ? 'Coordinated Universal Time' : timeZone.offset === 0 ? 'GMT' : offsetName(timeZone.offset, true);
      case 'short':
      case 'shortGeneric':
        return utc ? 'UTC' : timeZone.offset === 0 ? 'GMT' : offsetName(timeZone.offset, false);
      case 'longGeneric':
        return utc ? 'Coordinated Universal Time' : timeZone.offset === 0 ? 'GMT' : offsetName(timeZone.offset, true);
      case 'shortOffset':
        return offsetName(timeZone.offset, false);
      default: // longOffset
        return offsetName(timeZone.offset, true);
    }
  }

  /** en's flexible day periods; 12:xx is noon when the minutes are not shown. */
  function flexibleDayPeriod(hour, minute, style, minutesShown) {
    if (hour === 12 && (minute === 0 || !minutesShown)) return style === 'narrow' ? 'n' : 'noon';
    if (hour < 12) return 'in the morning';
    if (hour < 18) return 'in the afternoon';
    if (hour < 21) return 'in the evening';
    return 'at night';
  }

  /** The parts of the date (or null), of the time (or null), and how to join them. */
  function datePartsOf(state, f) {
    const parts = [];
    const lit = (value) => parts.push({ type: 'literal', value });
    const field = (type, value) => parts.push({ type, value: String(value) });
    const { weekday, era, year, month, day } = state;
    if (![weekday, era, year, month, day].some((v) => v !== undefined)) return null;
    const yearText = () => {
      const y = f.year <= 0 ? 1 - f.year : f.year; // the year of its era
      return year === '2-digit' ? pad2(((y % 100) + 100) % 100) : String(y);
    };
    const monthText = () => {
      switch (month) {
        case 'numeric':
          return String(f.month + 1);
        case '2-digit':
          return pad2(f.month + 1);
        case 'long':
          return MONTHS[f.month];
        case 'short':
          return MONTHS[f.month].slice(0, 3);
        default:
          return MONTHS[f.month][0];
      }
    };
    const weekdayText = () => (weekday === 'long' ? WEEKDAYS[f.weekday] : weekday === 'short' ? WEEKDAYS[f.weekday].slice(0, 3) : WEEKDAYS[f.weekday][0]);
    const dayText = () => (day === '2-digit' ? pad2(f.day) : String(f.day));
    const eraText = () => ERAS[era][f.year > 0 ? 1 : 0];
    const textMonth = month === 'long' || month === 'short' || month === 'narrow';
    // Combinations without a pattern of their own, as ICU appends them.
    if (weekday !== undefined && year !== undefined && month === undefined && day === undefined) {
      field('year', yearText());
      lit(' ');
      field('weekday', weekdayText());
      return parts;
    }
    if (year !== undefined && day !== undefined && month === undefined && weekday === undefined) {
      field('year', yearText());
      lit(' (day: ');
      field('day', dayText());
      lit(')');
      return parts;
    }
    if (weekday !== undefined && textMonth && day === undefined && year === undefined) {
      field('weekday', weekdayText());
      lit(' (month: ');
      field('month', monthText());
      lit(')');
      return parts;
    }
    if (weekday !== undefined && (month !== undefined || year !== undefined || day === undefined)) {
      field('weekday', weekdayText());
      if (month !== undefined || year !== undefined || day !== undefined) lit(', ');
    }
    if (textMonth) {
      if (month !== undefined) field('month', monthText());
      if (day !== undefined) {
        lit(' ');
        field('day', dayText());
      }
      if (year !== undefined) {
        lit(day !== undefined ? ', ' : ' ');
        field('year', yearText());
      }
    } else if (month !== undefined) {
      field('month', monthText());
      if (day !== undefined) {
        lit('/');
        field('day', dayText());
      }
      if (year !== undefined) {
        lit('/');
        field('year', yearText());
      }
    } else {
      if (day !== undefined && weekday !== undefined && year === undefined) {
        field('day', dayText());
        lit(' ');
        field('weekday', weekdayText());
      } else if (day !== undefined) {
        field('day', dayText());
        if (year !== undefined) lit(' ');
      }
      if (year !== undefined) field('year', yearText());
    }
    if (era !== undefined) {
      if (parts.length > 0 && year === undefined && month === undefined && day === undefined && weekday !== undefined) lit(' ');
      if (parts.length > 0) lit(' ');
      field('era', eraText());
    }
    return parts;
  }

  function timePartsOf(state, f) {
    const { hour, minute, second, fractionalSecondDigits, dayPeriod, hourCycle } = state;
    if (![hour, minute, second, fractionalSecondDigits, dayPeriod].some((v) => v !== undefined)) return null;
    const parts = [];
    const lit = (value) => parts.push({ type: 'literal', value });
    const field = (type, value) => parts.push({ type, value: String(value) });
    const twelve = hourCycle === 'h12' || hourCycle === 'h11';
    if (hour !== undefined) {
      let h = f.hour;
      if (hourCycle === 'h12') h = h % 12 || 12;
      else if (hourCycle === 'h11') h %= 12;
      else if (hourCycle === 'h24') h = h || 24;
      const padHour = hour === '2-digit' || (!twelve && (minute !== undefined || hourCycle === 'h23' || hourCycle === 'h24'));
      field('hour', padHour ? pad2(h) : String(h));
    }
    const appendSecond = hour !== undefined && minute === undefined && second !== undefined;
    if (minute !== undefined) {
      if (hour !== undefined) lit(':');
      field('minute', hour !== undefined || second !== undefined || minute === '2-digit' ? pad2(f.minute) : String(f.minute));
    }
    if (second !== undefined && !appendSecond) {
      if (hour !== undefined || minute !== undefined) lit(':');
      field('second', hour !== undefined || minute !== undefined || second === '2-digit' ? pad2(f.second) : String(f.second));
    }
    if (fractionalSecondDigits !== undefined) {
      if (parts.length > 0) lit('.');
      field('fractionalSecond', String(f.millisecond).padStart(3, '0').slice(0, fractionalSecondDigits));
    }
    if (hour !== undefined && twelve) {
      if (dayPeriod !== undefined) {
        lit(' ');
        field('dayPeriod', flexibleDayPeriod(f.hour, f.minute, dayPeriod, minute !== undefined));
      } else {
        // ICU puts a narrow no-break space before AM/PM; format() shows it as a space (as V8 does).
        lit('\u202f');
        field('dayPeriod', f.hour < 12 ? 'AM' : 'PM');
      }
    } else if (hour === undefined && dayPeriod !== undefined && parts.length === 0) {
      field('dayPeriod', flexibleDayPeriod(f.hour, f.minute, dayPeriod, false));
    }
    if (appendSecond) {
      lit(' (second: ');
      field('second', second === '2-digit' ? pad2(f.second) : String(f.second));
      lit(')');
    }
    return parts;
  }

  const DATE_STYLES = {
    full: { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' },
    long: { year: 'numeric', month: 'long', day: 'numeric' },
    medium: { year: 'numeric', month: 'short', day: 'numeric' },
    short: { year: '2-digit', month: 'numeric', day: 'numeric' },
  };
  const TIME_STYLES = {
    full: { hour: 'numeric', minute: '2-digit', second: '2-digit', timeZoneName: 'long' },
    long: { hour: 'numeric', minute: '2-digit', second: '2-digit', timeZoneName: 'short' },
    medium: { hour: 'numeric', minute: '2-digit', second: '2-digit' },
    short: { hour: 'numeric', minute: '2-digit' },
  };

  function toTime(date) {
    const time = date === undefined ? Date.now() : date instanceof Date ? date.getTime() : Number(date);
    if (!Number.isFinite(time) || Math.abs(time) > 8.64e15) throw new RangeError('Invalid time value');
    return Math.trunc(time);
  }

  function formatDateToParts(state, time) {
    const f = fieldsOf(time, state.timeZone);
    const fields = { ...state };
    if (state.dateStyle !== undefined) Object.assign(fields, DATE_STYLES[state.dateStyle]);
    if (state.timeStyle !== undefined) Object.assign(fields, TIME_STYLES[state.timeStyle]);
    const date = datePartsOf(fields, f);
    let time_ = timePartsOf(fields, f);
    if (fields.timeZoneName !== undefined) {
      const zone = { type: 'timeZoneName', value: zoneName(state.timeZone, fields.timeZoneName) };
      if (time_ === null) time_ = [zone];
      else time_.push({ type: 'literal', value: ' ' }, zone);
    }
    if (date === null) return time_ ?? [];
    if (time_ === null) return date;
    // en joins a date with a long month to its time with " at ", a lone weekday with a space, others with ", ".
    const loneWeekday = fields.weekday !== undefined && [fields.year, fields.month, fields.day, fields.era].every((v) => v === undefined);
    const joiner = state.dateStyle === 'full' || state.dateStyle === 'long' || (state.dateStyle === undefined && fields.month === 'long') ? ' at ' : loneWeekday ? ' ' : ', ';
    return [...date, { type: 'literal', value: joiner }, ...time_];
  }

  class DateTimeFormat {
    constructor(locales, options) {
      dateTimeState.set(this, dateTimeOptions(locales, options, 'any', 'date'));
    }
    /** Formats a date (default: now), as a function bound to this formatter. */
    get format() {
      const state = dateTimeState.get(this);
      if (state === undefined) throw new TypeError('Method get Intl.DateTimeFormat.prototype.format called on incompatible receiver');
      return (state.bound ??= (date) => joinParts(formatDateToParts(state, toTime(date))).replace(/\u202f/g, ' '));
    }
    formatToParts(date) {
      return formatDateToParts(dateTimeState.get(this), toTime(date));
    }
    resolvedOptions() {
      const state = dateTimeState.get(this);
      const result = { locale: state.locale, calendar: 'gregory', numberingSystem: 'latn', timeZone: state.timeZone.name };
      if (state.hourCycle !== undefined) {
        result.hourCycle = state.hourCycle;
        result.hour12 = state.hourCycle === 'h12' || state.hourCycle === 'h11';
      }
      for (const field of ['weekday', 'era', 'year', 'month', 'day', 'dayPeriod', 'hour', 'minute', 'second', 'fractionalSecondDigits', 'timeZoneName']) {
        if (state[field] === undefined) continue;
        let value = state[field];
        if ((field === 'minute' || field === 'second') && state.hour !== undefined) value = '2-digit';
        if (field === 'hour' && (state.hourCycle === 'h23' || state.hourCycle === 'h24')) value = '2-digit';
        result[field] = value;
      }
      if (state.dateStyle !== undefined) result.dateStyle = state.dateStyle;
      if (state.timeStyle !== undefined) result.timeStyle = state.timeStyle;
      return result;
    }
    static supportedLocalesOf(locales) {
      return supportedLocalesOf(locales);
    }
  }
  defineValue(DateTimeFormat.prototype, Symbol.toStringTag, 'Intl.DateTimeFormat');

  // ----- Collator: the Unicode Collation Algorithm, as ICU's root order has it for Latin -----

  // Primary weights, in order: whitespace, punctuation and symbols (groups of
  // equal primary separated by "|"; the rest of a group are secondary variants
  // of the first), then digits and the Latin letters. Derived from ICU 78 (Node 20).
  const SYMBOLS =
    '\t|\n|\u000b|\f|\r| |_|-|‐|‒|–|—|―|⁓|,|;|⁏|:|!|¡|?|¿|‽|.|·|⁕|⁖|⁘|⁙|⁚|⁛|⁜|⁝|⁞|\'‘’‚‛|‹|›|"“”„‟|«|»|(|)|[|]|{|}|⁅|⁆|‖|§|¶|⁋|@|*|⁎|⁑|/|\\|&|⁊|#|%|‰|‱|†|‡|•|‣|‧|⁃|⁌|⁍|′|‵|‸|※|‿|⁔|⁀|⁐|⁁|⁂|`|´|^|¯|¨|¸|°|©|®|←|→|↑|↓|↔|↕|↖|↗|↘|↙|+|±|÷|×|<|=|>|¬|||¦|~|⁒|⁄|¤|¢|$|£|¥|₠|₡|₢|₣|₤|₥|₦|₩|₪|₫|€|₭|₮|₯|₰|₱|₲|₳|₴|₵|₶|₷|₸|₹|₺|₻|₼|₽|₾|₿|⃀|₧';
  const LETTERS = '0123456789abcdefghiıjklmnŋopqĸrstŧuvwxyzþ';
  // Secondary weights of combining marks (ICU's order among U+0300-U+036F), and
  // letters that ICU sorts as a base letter with a mark of their own.
  const MARK_RANKS =
    '34f:0 332:1 313:2 343:2 314:4 301:5 341:5 300:7 340:7 306:9 302:10 30c:11 30a:12 342:13 308:14 344:15 30b:16 303:17 307:18 338:19 ' +
    '327:20 328:21 304:22 30d:23 30e:23 312:23 315:23 31a:23 33d:23 33e:23 33f:23 346:23 34a:23 34b:23 34c:23 350:23 351:23 352:23 357:23 ' +
    '35b:23 35d:23 35e:23 316:42 317:42 318:42 319:42 31c:42 31d:42 31e:42 31f:42 320:42 329:42 32a:42 32b:42 32c:42 32f:42 333:42 33a:42 ' +
    '33b:42 33c:42 347:42 348:42 349:42 34d:42 34e:42 353:42 354:42 355:42 356:42 359:42 35a:42 35c:42 35f:42 362:42 336:74 337:74 335:76 ' +
    '305:77 309:78 30f:79 310:80 311:81 31b:82 321:83 322:84 323:85 324:86 325:87 326:88 32d:89 32e:90 330:91 331:92 334:93 339:94 345:95 ' +
    '358:96 360:97 361:98 363:99 368:100 369:101 364:102 36a:103 365:104 36b:105 366:106 36c:107 36d:108 367:109 36e:110 36f:111';
  // letter: its base letters, and the mark weight (a rank, or a half rank between two) after the first.
  const SPECIAL_LETTERS = { ø: ['o', 19], đ: ['d', 76], ł: ['l', 76], ħ: ['h', 76], ð: ['d', 98.5], ŀ: ['l', 98.5], ſ: ['s', 98.5], æ: ['ae', 98.5], œ: ['oe', 98.5], ß: ['ss', 98.5] };

  // Weights become UTF-16 code units of a sort key, in which 1 separates levels.
  const PRIMARY = new Map(); // character -> primary weight
  const VARIANT_RANK = new Map(); // character -> rank among the characters of its primary
  let nextPrimary = 0x100;
  const FIRST_WHITESPACE = nextPrimary;
  let FALLBACK_SYMBOL = 0; // other symbols: before the currency signs, by code point
  for (const groupText of SYMBOLS.replace('|||', '|\u0000|').split('|')) {
    if (groupText === '¤') FALLBACK_SYMBOL = nextPrimary++;
    Array.from(groupText.replace('\u0000', '|')).forEach((char, rank) => {
      PRIMARY.set(char, nextPrimary);
      VARIANT_RANK.set(char, rank);
    });
    nextPrimary++;
  }
  const LAST_VARIABLE = PRIMARY.get('⁂'); // whitespace and punctuation come before the symbols
  for (const char of LETTERS) PRIMARY.set(char, nextPrimary++);
  const FIRST_DIGIT = PRIMARY.get('0');
  const FALLBACK_LETTER = nextPrimary++; // other letters and digits (Greek, Cyrillic, CJK, ...): after Latin, by code point
  const SECONDARY = new Map();
  for (const entry of MARK_RANKS.split(' ')) {
    const [code, rank] = entry.split(':');
    SECONDARY.set(String.fromCharCode(parseInt(code, 16)), 0x10 + 2 * Number(rank));
  }
  const COMMON_SECONDARY = 0x08; // (+ a symbol's rank in its group; marks weigh 0x10 and more)
  const OTHER_MARK = 0x10 + 2 * 112;
  // Tertiary weights: lowercase, its compatibility forms (wide, other, circled),
  // uppercase and its forms; superscripts, subscripts and fractions after both.
  const LOWER = 0x10;
  const UPPER = 0x18;
  const CASE_BITS = 0x18;
  function compatibilityKind(code) {
    if ((code >= 0xff01 && code <= 0xff60) || (code >= 0xffe0 && code <= 0xffe6)) return 1;
    if ((code >= 0x2460 && code <= 0x24ff) || (code >= 0x3251 && code <= 0x32bf) || (code >= 0x1f100 && code <= 0x1f1ff)) return 3;
    if ((code >= 0x2080 && code <= 0x209c) || (code >= 0x1d62 && code <= 0x1d6a)) return 0x15;
    if ([0xaa, 0xb2, 0xb3, 0xb9, 0xba, 0x2120, 0x2122].includes(code) || (code >= 0x2070 && code <= 0x207f) || (code >= 0x2b0 && code <= 0x2e4) || (code >= 0x1d2c && code <= 0x1d61)) return 0x14;
    if ((code >= 0xbc && code <= 0xbe) || (code >= 0x2150 && code <= 0x215f) || code === 0x2189) return 0x16;
    return 2;
  }
  const markWeight = (rank) => 0x10 + Math.round(2 * rank);
  /** The code units that follow a fallback primary: its code point, in two units. */
  const codeUnits = (code) => [0x100 + (code >> 11), 0x100 + (code & 0x7ff)];

  const isMark = (char) => /\p{M}/u.test(char);
  const isVariable = (primary) => primary >= FIRST_WHITESPACE && primary <= LAST_VARIABLE;
  const isIgnorable = (code) => code < 0x09 || (code > 0x0d && code < 0x20) || (code >= 0x7f && code < 0xa0) || code === 0xad || (code >= 0x200b && code <= 0x200f) || (code >= 0x2060 && code <= 0x206f) || code === 0xfeff;

  /**
   * The collation elements of a string, `[primary, secondary, tertiary, ...more
   * primary units]`, after ICU's root order for Latin text: characters in NFD,
   * accents as secondary weights, case and compatibility forms as tertiary ones.
   */
  // Printable ASCII comes from these tables: no normalisation, no lookups by string.
  const ASCII_PRIMARY = [];
  const ASCII_TERTIARY = [];
  for (let code = 0; code < 0x80; code++) {
    const char = String.fromCharCode(code);
    const lower = char.toLowerCase();
    ASCII_PRIMARY.push(PRIMARY.get(lower) ?? 0);
    ASCII_TERTIARY.push(lower !== char ? UPPER : LOWER);
  }
  const PLAIN_ASCII = /^[\t-\r\x20-\x7e]*$/;
  const ASCII_DIGIT = /[0-9]/;

  /** Calls `emit(primary, secondary, tertiary, morePrimaryUnits?)` for each collation element of `text`. */
  function collationElements(text, numeric, emit) {
    const nfd = text.normalize('NFD');
    for (let i = 0; i < nfd.length; i++) {
      let code = nfd.charCodeAt(i);
      if (numeric && code >= 0x30 && code <= 0x39) {
        // A run of digits sorts by its value: its length without leading zeros,
        // then its digits (so "01" and "1" are equal, as in ICU).
        let end = i;
        while (end < nfd.length && nfd.charCodeAt(end) >= 0x30 && nfd.charCodeAt(end) <= 0x39) end++;
        let start = i;
        while (start < end - 1 && nfd.charCodeAt(start) === 0x30) start++;
        const digits = [0x100 + Math.min(end - start, 0xfe00)];
        for (let j = start; j < end; j++) digits.push(0x100 + nfd.charCodeAt(j) - 0x30);
        emit(FIRST_DIGIT, COMMON_SECONDARY, LOWER, digits);
        i = end - 1;
        continue;
      }
      if (code < 0x80) {
        if (ASCII_PRIMARY[code] !== 0) emit(ASCII_PRIMARY[code], COMMON_SECONDARY, ASCII_TERTIARY[code]);
        continue;
      }
      let char = nfd[i];
      if (code >= 0xd800 && code <= 0xdbff && i + 1 < nfd.length) {
        char = nfd.slice(i, i + 2);
        code = char.codePointAt(0);
        i++;
      }
      const mark = SECONDARY.get(char);
      if (mark !== undefined || isMark(char)) {
        emit(0, mark ?? OTHER_MARK, LOWER);
        continue;
      }
      const lower = char.toLowerCase();
      const tertiary = lower !== char ? UPPER : LOWER;
      const primary = PRIMARY.get(lower);
      if (primary !== undefined) {
        emit(primary, COMMON_SECONDARY + (VARIANT_RANK.get(lower) ?? 0), tertiary);
        continue;
      }
      if (hasOwn(SPECIAL_LETTERS, lower)) {
        const [bases, rank] = SPECIAL_LETTERS[lower];
        emit(PRIMARY.get(bases[0]), COMMON_SECONDARY, tertiary);
        emit(0, markWeight(rank), LOWER);
        for (let b = 1; b < bases.length; b++) emit(PRIMARY.get(bases[b]), COMMON_SECONDARY, tertiary);
        continue;
      }
      const compatible = char.normalize('NFKD');
      if (compatible !== char && !(compatible.length > 1 && compatible.startsWith(' '))) {
        // A compatibility character (ª, ¹, ½, ﬁ, ™, …) sorts as what it stands for, as a tertiary variant.
        const kind = compatibilityKind(code);
        collationElements(compatible, false, (p, s, t, more) => emit(p, s, p === 0 ? t : t + kind, more));
        continue;
      }
      if (isIgnorable(code)) continue;
      const letter = /[\p{L}\p{N}]/u.test(lower);
      emit(letter ? FALLBACK_LETTER : FALLBACK_SYMBOL, COMMON_SECONDARY, tertiary, codeUnits(lower.codePointAt(0)));
    }
  }

  function asciiSortKey(text, settings) {
    let primaries = '';
    let tertiaries = '';
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      const primary = ASCII_PRIMARY[code];
      if (settings.ignorePunctuation && isVariable(primary)) continue;
      primaries += String.fromCharCode(primary);
      let tertiary = ASCII_TERTIARY[code];
      if (settings.caseFirst === 'upper') tertiary = tertiary === UPPER ? LOWER : UPPER;
      tertiaries += settings.strength === 'case' ? (tertiary === UPPER ? '\u0003' : '\u0002') : String.fromCharCode(tertiary);
    }
    switch (settings.strength) {
      case 'base':
        return primaries;
      case 'accent':
        return `${primaries}\u0001${String.fromCharCode(COMMON_SECONDARY).repeat(primaries.length)}`;
      case 'case':
        return `${primaries}\u0001${tertiaries}`;
      default:
        return `${primaries}\u0001${String.fromCharCode(COMMON_SECONDARY).repeat(primaries.length)}\u0001${tertiaries}`;
    }
  }

  /** A sort key: a string whose code-unit order is the collation order at the settings' strength. */
  function sortKey(text, settings) {
    if (PLAIN_ASCII.test(text) && !(settings.numeric && ASCII_DIGIT.test(text))) return asciiSortKey(text, settings);
    const primaries = [];
    const secondaries = [];
    const tertiaries = [];
    collationElements(text, settings.numeric, (primary, secondary, tertiary, more) => {
      if (primary !== 0 && settings.ignorePunctuation && isVariable(primary)) return;
      if (primary !== 0) {
        primaries.push(primary);
        if (more !== undefined) primaries.push(...more);
      }
      secondaries.push(secondary);
      const upper = (tertiary & CASE_BITS) === UPPER;
      if (settings.caseFirst === 'upper') tertiary += upper ? LOWER - UPPER : UPPER - LOWER;
      if (settings.strength === 'case') {
        if (primary !== 0) tertiaries.push(upper ? 3 : 2);
      } else {
        tertiaries.push(tertiary);
      }
    });
    const units = (list) => {
      let text = '';
      for (let i = 0; i < list.length; i += 8192) text += String.fromCharCode(...list.slice(i, i + 8192));
      return text;
    };
    switch (settings.strength) {
      case 'base':
        return units(primaries);
      case 'accent':
        return `${units(primaries)}\u0001${units(secondaries)}`;
      case 'case':
        return `${units(primaries)}\u0001${units(tertiaries)}`;
      default:
        return `${units(primaries)}\u0001${units(secondaries)}\u0001${units(tertiaries)}`;
    }
  }

  const collatorState = new WeakMap();
  class Collator {
    constructor(locales, options) {
      const { locale, keywords } = resolveLocale(locales, 'Collator');
      options = toOptions(options);
      const C = 'Collator';
      const usage = getOption(options, 'usage', ['sort', 'search'], 'sort', C);
      const numeric = options.numeric !== undefined ? Boolean(options.numeric) : keywords.kn === 'true' || keywords.kn === '';
      const caseFirst = getOption(options, 'caseFirst', ['upper', 'lower', 'false'], keywords.kf ?? 'false', C);
      const sensitivity = getOption(options, 'sensitivity', ['base', 'accent', 'case', 'variant'], 'variant', C);
      const ignorePunctuation = getOption(options, 'ignorePunctuation', 'boolean', false, C);
      const settings = { strength: sensitivity, numeric, caseFirst, ignorePunctuation, cache: new Map() };
      collatorState.set(this, { locale, usage, sensitivity, ignorePunctuation, numeric, caseFirst, settings });
    }
    /** Compares two strings: negative, 0 or positive, as a function bound to this collator (for `sort`). */
    get compare() {
      const state = collatorState.get(this);
      if (state === undefined) throw new TypeError('Method get Intl.Collator.prototype.compare called on incompatible receiver');
      return (state.bound ??= (a, b) => compareStrings(state.settings, `${a}`, `${b}`));
    }
    resolvedOptions() {
      const { locale, usage, sensitivity, ignorePunctuation, numeric, caseFirst } = collatorState.get(this);
      return { locale, usage, sensitivity, ignorePunctuation, collation: 'default', numeric, caseFirst };
    }
    static supportedLocalesOf(locales) {
      return supportedLocalesOf(locales);
    }
  }
  defineValue(Collator.prototype, Symbol.toStringTag, 'Intl.Collator');

  function keyOf(settings, text) {
    let key = settings.cache.get(text);
    if (key === undefined) {
      // Keys are remembered so a sort computes each string's once; the memory is bounded.
      if (settings.cache.size >= 20000) settings.cache.clear();
      key = sortKey(text, settings);
      settings.cache.set(text, key);
    }
    return key;
  }

  function compareStrings(settings, a, b) {
    if (a === b) return 0;
    const x = keyOf(settings, a);
    const y = keyOf(settings, b);
    return x < y ? -1 : x > y ? 1 : 0;
  }

  // ----- ListFormat and RelativeTimeFormat (English) -----

  const listState = new WeakMap();
  class ListFormat {
    constructor(locales, options) {
      const { locale } = resolveLocale(locales, 'ListFormat');
      options = toOptions(options);
      const type = getOption(options, 'type', ['conjunction', 'disjunction', 'unit'], 'conjunction', 'ListFormat');
      const style = getOption(options, 'style', ['long', 'short', 'narrow'], 'long', 'ListFormat');
      listState.set(this, { locale, type, style });
    }
    format(list) {
      return joinParts(this.formatToParts(list));
    }
    /** "a, b, and c" (conjunction), "a, b, or c" (disjunction), "a, b, c" (unit), in parts. */
    formatToParts(list) {
      const { type, style } = listState.get(this);
      const items = [...(list ?? [])].map((item) => {
        if (typeof item !== 'string') throw new TypeError(`Iterable yielded ${lib.inspect(item, 1, [])} which is not a string`);
        return item;
      });
      let pair;
      let last;
      let middle = ', ';
      if (type === 'conjunction') {
        pair = style === 'long' ? ' and ' : style === 'short' ? ' & ' : ', ';
        last = style === 'long' ? ', and ' : style === 'short' ? ', & ' : ', ';
      } else if (type === 'disjunction') {
        pair = ' or ';
        last = ', or ';
      } else {
        pair = last = middle = style === 'narrow' ? ' ' : ', ';
      }
      const parts = [];
      items.forEach((item, i) => {
        if (i > 0) parts.push({ type: 'literal', value: items.length === 2 ? pair : i === items.length - 1 ? last : middle });
        parts.push({ type: 'element', value: item });
      });
      return parts;
    }
    resolvedOptions() {
      return { ...listState.get(this) };
    }
    static supportedLocalesOf(locales) {
      return supportedLocalesOf(locales);
    }
  }
  defineValue(ListFormat.prototype, Symbol.toStringTag, 'Intl.ListFormat');

  const UNITS = {
    year: { long: 'year', short: 'yr.', narrow: 'y', last: 'last year', this: 'this year', next: 'next year', shortWord: 'yr.' },
    quarter: { long: 'quarter', short: 'qtr.', shortOther: 'qtrs.', narrow: 'q', last: 'last quarter', this: 'this quarter', next: 'next quarter', shortWord: 'qtr.' },
    month: { long: 'month', short: 'mo.', narrow: 'mo', last: 'last month', this: 'this month', next: 'next month', shortWord: 'mo.' },
    week: { long: 'week', short: 'wk.', narrow: 'w', last: 'last week', this: 'this week', next: 'next week', shortWord: 'wk.' },
    day: { long: 'day', short: 'day', shortOther: 'days', narrow: 'd', last: 'yesterday', this: 'today', next: 'tomorrow' },
    hour: { long: 'hour', short: 'hr.', narrow: 'h', this: 'this hour' },
    minute: { long: 'minute', short: 'min.', narrow: 'm', this: 'this minute' },
    second: { long: 'second', short: 'sec.', narrow: 's', this: 'now' },
  };

  const relativeState = new WeakMap();
  class RelativeTimeFormat {
    constructor(locales, options) {
      const { locale } = resolveLocale(locales, 'RelativeTimeFormat');
      options = toOptions(options);
      const style = getOption(options, 'style', ['long', 'short', 'narrow'], 'long', 'RelativeTimeFormat');
      const numeric = getOption(options, 'numeric', ['always', 'auto'], 'always', 'RelativeTimeFormat');
      relativeState.set(this, { locale, style, numeric, number: numberFormatOptions(locale, {}) });
    }
    format(value, unit) {
      return joinParts(this.formatToParts(value, unit));
    }
    /** "in 3 days", "3 days ago" (numeric "auto": "tomorrow", "yesterday", "now", ...), in parts. */
    formatToParts(value, unit) {
      const { style, numeric, number } = relativeState.get(this);
      value = Number(value);
      if (!Number.isFinite(value)) throw new RangeError('Invalid number value');
      const name = `${unit}`.replace(/s$/, '');
      if (!hasOwn(UNITS, name)) throw new RangeError(`Invalid unit argument for Intl.RelativeTimeFormat.prototype.format() '${unit}'`);
      const data = UNITS[name];
      if (numeric === 'auto') {
        const word = Object.is(value, 0) || Object.is(value, -0) ? data.this : value === -1 ? data.last : value === 1 ? data.next : undefined;
        if (word !== undefined) {
          const text = style === 'long' || data.shortWord === undefined || word === data.this && name !== 'year' && name !== 'quarter' && name !== 'month' && name !== 'week'
            ? word
            : word.replace(/ \w+$/, ` ${data.shortWord}`);
          return [{ type: 'literal', value: text }];
        }
      }
      const past = value < 0 || Object.is(value, -0);
      const numberParts = formatNumberToParts({ ...number, signDisplay: 'never' }, Math.abs(value)).map((part) => ({ ...part, unit: name }));
      const one = joinParts(numberParts) === '1';
      let word;
      if (style === 'long') word = ` ${data.long}${one ? '' : 's'}`;
      else if (style === 'short') word = ` ${one ? data.short : data.shortOther ?? data.short}`;
      else word = data.narrow;
      return past ? [...numberParts, { type: 'literal', value: `${word} ago` }] : [{ type: 'literal', value: 'in ' }, ...numberParts, { type: 'literal', value: word }];
    }
    resolvedOptions() {
      const { locale, style, numeric } = relativeState.get(this);
      return { locale, style, numeric, numberingSystem: 'latn' };
    }
    static supportedLocalesOf(locales) {
      return supportedLocalesOf(locales);
    }
  }
  defineValue(RelativeTimeFormat.prototype, Symbol.toStringTag, 'Intl.RelativeTimeFormat');

  // NumberFormat, DateTimeFormat and Collator may be called without `new`, as
  // ECMA-402 allows (`Intl.DateTimeFormat().resolvedOptions().timeZone`).
  const callable = (constructor) => new Proxy(constructor, { apply: (target, _, args) => new target(...args) });
  const Intl = {};
  for (const [name, value] of Object.entries({
    NumberFormat: callable(NumberFormat),
    DateTimeFormat: callable(DateTimeFormat),
    Collator: callable(Collator),
    PluralRules,
    ListFormat,
    RelativeTimeFormat,
  })) {
    defineValue(Intl, name, value);
  }
  defineValue(Intl, 'getCanonicalLocales', function getCanonicalLocales(locales) {
    return canonicalLocales(locales);
  });
  defineValue(Intl, Symbol.toStringTag, 'Intl');

  // ----- the locale methods of the built-ins -----

  const defaultSettings = collatorState.get(new Collator()).settings;
  const defaultNumberFormat = new NumberFormat();
  let lastCollator = null; // [locales, options, settings] of the last call with arguments, reused by a sort
  defineValue(String.prototype, 'localeCompare', function localeCompare(that, locales, options) {
    if (this === undefined || this === null) throw new TypeError('String.prototype.localeCompare called on null or undefined');
    let settings = defaultSettings;
    if (locales !== undefined || options !== undefined) {
      if (lastCollator === null || lastCollator[0] !== locales || lastCollator[1] !== options) {
        lastCollator = [locales, options, collatorState.get(new Collator(locales, options)).settings];
      }
      settings = lastCollator[2];
    }
    return compareStrings(settings, `${this}`, `${that}`);
  });
  defineValue(Number.prototype, 'toLocaleString', function toLocaleString(locales, options) {
    const value = Number.prototype.valueOf.call(this);
    const format = locales === undefined && options === undefined ? defaultNumberFormat : new NumberFormat(locales, options);
    return format.format(value);
  });
  defineValue(BigInt.prototype, 'toLocaleString', function toLocaleString(locales, options) {
    const value = BigInt.prototype.valueOf.call(this);
    const format = locales === undefined && options === undefined ? defaultNumberFormat : new NumberFormat(locales, options);
    return format.format(value);
  });
  const dateMethod = (name, required, defaults) =>
    defineValue(Date.prototype, name, {
      [name](locales, options) {
        const time = Date.prototype.getTime.call(this);
        if (Number.isNaN(time)) return 'Invalid Date';
        const format = new DateTimeFormat(undefined, undefined);
        dateTimeState.set(format, dateTimeOptions(locales, options, required, defaults));
        return format.format(time);
      },
    }[name]);
  dateMethod('toLocaleString', 'any', 'all');
  dateMethod('toLocaleDateString', 'date', 'date');
  dateMethod('toLocaleTimeString', 'time', 'time');

  lib.expose({ Intl });
});
