// TextEncoder and TextDecoder, UTF-8 as Node speaks it.
const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
const encoder = new TextEncoder();
console.log(encoder.encoding, hex(encoder.encode('héllo €𝄞')), hex(encoder.encode('\ud800x')));
const room = new Uint8Array(5);
console.log(JSON.stringify(encoder.encodeInto('a€𝄞', room)), hex(room));
const decoder = new TextDecoder();
const withBom = encoder.encode('\ufeffhéllo');
console.log(JSON.stringify(decoder.decode(withBom)), JSON.stringify(new TextDecoder('utf-8', { ignoreBOM: true }).decode(withBom)));
console.log(JSON.stringify(decoder.decode(new Uint8Array([0x61, 0xff, 0x62, 0xe2, 0x82, 0x63, 0xf0, 0x9f, 0x98]))));
console.log(JSON.stringify(decoder.decode(withBom.buffer)), JSON.stringify(decoder.decode(new DataView(withBom.buffer, 3, 2))));
try {
  new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array([0xff]));
} catch (e) {
  console.log(e.name, e.message);
}
const streaming = new TextDecoder();
const euros = encoder.encode('€€');
console.log(streaming.decode(euros.subarray(0, 2), { stream: true }) + '|' + streaming.decode(euros.subarray(2, 5), { stream: true }) + '|' + streaming.decode(euros.subarray(5)));
