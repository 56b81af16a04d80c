// Dates formatted as Node (ICU, en-US) formats them, in UTC and at fixed offsets (Etc/GMT-5 is UTC+5).
const date = new Date(Date.UTC(2024, 0, 5, 14, 7, 9, 45));
const utc = (options) => new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', ...options }).format(date);
console.log(date.toLocaleString('en-US', { timeZone: 'UTC' }), '|', date.toLocaleDateString('en-US', { timeZone: 'UTC' }), '|', date.toLocaleTimeString('en-US', { timeZone: 'UTC' }));
console.log(utc({ dateStyle: 'full', timeStyle: 'long' }), '|', utc({ dateStyle: 'medium', timeStyle: 'short' }), '|', utc({ dateStyle: 'short' }));
console.log(utc({ weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' }), '|', utc({ month: 'short', day: 'numeric' }), '|', utc({ year: 'numeric', month: '2-digit', day: '2-digit' }));
console.log(utc({ hour: '2-digit', minute: '2-digit' }), '|', utc({ hour: 'numeric', minute: '2-digit', hourCycle: 'h23' }), '|', utc({ hour: 'numeric', minute: '2-digit', second: '2-digit', fractionalSecondDigits: 3 }));
console.log(utc({ year: 'numeric', month: 'long', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short' }), '|', utc({ month: 'long', year: 'numeric' }), '|', utc({ weekday: 'short' }));
console.log(new Intl.DateTimeFormat('en-US', { timeZone: 'Etc/GMT-5', dateStyle: 'medium', timeStyle: 'long' }).format(date), '|', date.toLocaleString('en-US', { timeZone: 'Etc/GMT+8', timeZoneName: 'longOffset' }));
console.log(JSON.stringify(new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', month: 'short', day: 'numeric', hour: 'numeric' }).formatToParts(date)));
console.log(JSON.stringify(new Intl.DateTimeFormat('en-US', { timeZone: 'UTC' }).resolvedOptions()));
console.log(new Date(NaN).toLocaleString(), '|', date.toLocaleDateString('en-US', { timeZone: 'UTC', month: 'long' }));
