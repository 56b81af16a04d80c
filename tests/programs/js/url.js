// URL and URLSearchParams: WHATWG parsing, resolution, setters and serialization, as in Node.
const url = new URL('https://user:pa ss@Example.COM:443/a/./b/../c%2e/d?x=1 2&y=é#frag ment');
console.log(url.href);
console.log([url.origin, url.protocol, url.username, url.password, url.host, url.hostname, url.port, url.pathname, url.search, url.hash].join(' | '));
for (const [input, base] of [['../g?y#s', 'http://a/b/c/d;p?q'], ['//other.org/x', 'https://a/'], ['?only', 'http://a/b'], ['file:///C|/x/../y'], ['http://0x7f.1/'], ['http://[::ffff:1.2.3.4]/'], ['http://münchen.de/'], ['mailto:someone@example.com?subject=Hi there'], ['HTTP://EXAMPLE.com:80/%7e']]) {
  console.log(new URL(input, base).href);
}
try {
  new URL('/relative');
} catch (e) {
  console.log(e.name, e.code);
}
console.log(URL.canParse('/p', 'http://a'), URL.canParse('nope'), URL.parse('nope'), JSON.stringify({ u: new URL('http://a/x') }));
const edited = new URL('http://a.com/p');
edited.protocol = 'https';
edited.host = 'b.org:8080';
edited.pathname = '/x y';
edited.search = 'q=1';
edited.hash = 'top';
edited.port = '443';
console.log(edited.href);
const params = new URLSearchParams('a=1&b=%20x+y&a=3&c');
console.log(JSON.stringify([...params]), params.get('a'), JSON.stringify(params.getAll('a')), params.has('c'), params.get('zz'), params.size);
params.append('d', 'x y&=é');
params.set('a', 'one');
params.delete('c');
params.sort();
console.log(params.toString());
console.log(new URLSearchParams({ q: 'a b&c', n: 1 }).toString(), new URLSearchParams([['x', '1'], ['x', '2']]).toString());
const linked = new URL('https://x.com/s?q=1');
linked.searchParams.append('page', '2');
linked.searchParams.delete('q');
console.log(linked.href, linked.search);
const huge = new URL(`https://example.com/${'segment/'.repeat(20000)}?${'k=v&'.repeat(20000)}`);
console.log(huge.pathname.length, huge.searchParams.size);
