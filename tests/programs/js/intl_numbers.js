// Numbers formatted as Node (ICU, en-US) formats them.
const show = (value, options) => new Intl.NumberFormat('en-US', options).format(value);
console.log((1234567.891).toLocaleString(), (-0).toLocaleString(), (1.005).toLocaleString(undefined, { maximumFractionDigits: 2 }), 123456789n.toLocaleString());
console.log(show(1234.5, { style: 'currency', currency: 'USD' }), show(-1234.5, { style: 'currency', currency: 'EUR' }), show(1234.5, { style: 'currency', currency: 'JPY' }), show(-5, { style: 'currency', currency: 'GBP', currencySign: 'accounting' }));
console.log(show(1, { style: 'currency', currency: 'USD', currencyDisplay: 'name' }), show(2, { style: 'currency', currency: 'CHF' }) === 'CHF\u00a02.00', show(3, { style: 'currency', currency: 'USD', currencyDisplay: 'code' }));
console.log(show(0.256, { style: 'percent' }), show(0.256, { style: 'percent', maximumFractionDigits: 1 }), show(1234.5678, { minimumFractionDigits: 2, maximumFractionDigits: 2 }), show(42, { minimumIntegerDigits: 4, useGrouping: false }));
console.log([999, 1234, 12345, 999999, 1.5e9, 2e12].map((n) => show(n, { notation: 'compact' })).join(' '), show(1234567, { notation: 'compact', compactDisplay: 'long' }));
console.log(show(123456, { notation: 'scientific' }), show(123456, { notation: 'engineering' }), show(0.000123456, { maximumSignificantDigits: 3 }), show(5, { signDisplay: 'always' }), show(0, { signDisplay: 'exceptZero' }));
console.log([2.5, 3.5, -2.5].map((n) => show(n, { maximumFractionDigits: 0 })).join(' '), [2.5, 3.5, -2.5].map((n) => show(n, { maximumFractionDigits: 0, roundingMode: 'halfEven' })).join(' '));
console.log(JSON.stringify(new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' }).formatToParts(-1234.5)));
console.log([1, 2, 3].map(new Intl.NumberFormat('en-US', { minimumFractionDigits: 1 }).format).join(' '));
const plural = new Intl.PluralRules('en-US');
const ordinal = new Intl.PluralRules('en-US', { type: 'ordinal' });
console.log([0, 1, 2, 1.5].map((n) => plural.select(n)).join(' '), [1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101].map((n) => ordinal.select(n)).join(' '));
console.log(new Intl.ListFormat('en', { type: 'conjunction' }).format(['a', 'b', 'c']), '|', new Intl.ListFormat('en', { type: 'disjunction' }).format(['a', 'b']));
const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
console.log(relative.format(-1, 'day'), '|', relative.format(3, 'hours'), '|', new Intl.RelativeTimeFormat('en').format(-2, 'week'), '|', new Intl.RelativeTimeFormat('en', { style: 'short' }).format(5, 'minute'));
console.log(Intl.NumberFormat('en-US', { maximumFractionDigits: 1 }).format(1234.56), Intl.Collator('en').compare('a', 'B'), Intl.DateTimeFormat('en-US', { timeZone: 'UTC' }).resolvedOptions().timeZone);
