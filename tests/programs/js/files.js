// Files through Node's fs/promises, fs and path, printed so Node and Sluice can be compared (run from an empty directory).
import { readFile, writeFile, appendFile, readdir, stat, mkdir, rm, rmdir, unlink, rename, copyFile, access } from 'node:fs/promises';
import fsp from 'fs/promises';
import * as fs from 'node:fs';
import path from 'node:path';

// JSON, so the comparison is of the values, not of how console.log breaks long lines.
const failure = (error) => JSON.stringify([error.code, error.errno, error.syscall, error.path, error.dest, error.message]);
const attempt = async (label, work) => {
  try {
    console.log(label, await work());
  } catch (error) {
    console.log(label, 'failed', failure(error));
  }
};

await writeFile('notes.txt', 'first line\n');
await appendFile('notes.txt', 'second line\n');
console.log(await readFile('notes.txt', 'utf8'));
console.log(await readFile('notes.txt', { encoding: 'utf-8' }));
const bytes = await readFile('notes.txt');
console.log(bytes instanceof Uint8Array, bytes.length, Array.from(bytes.subarray(0, 5)));
await writeFile('bytes.bin', new Uint8Array([0, 1, 2, 255]));
console.log(Array.from(await readFile('bytes.bin')), await readFile('bytes.bin', 'hex'), await readFile('bytes.bin', 'base64'));
await writeFile('b64.txt', 'aGVsbG8=', 'base64');
console.log(await readFile('b64.txt', 'utf8'));
await writeFile('unicode.txt', 'héllo ✓ 😀');
console.log(await readFile('unicode.txt', 'utf8'), (await stat('unicode.txt')).size);

console.log('mkdir', await mkdir('a/b/c', { recursive: true }));
console.log('mkdir again', await mkdir('a/b/c', { recursive: true }));
console.log('mkdir plain', await mkdir('a/d'));
await writeFile('a/b/c/deep.json', JSON.stringify({ deep: true }));
await writeFile('a/top.txt', 'top');
console.log(await readdir('.'));
console.log(await readdir('a'));
console.log(await readdir('a', { recursive: true }));
console.log(JSON.stringify((await readdir('a', { withFileTypes: true })).map((d) => [d.name, d.isFile(), d.isDirectory(), d.isSymbolicLink(), d.parentPath])));

const s = await stat('notes.txt');
console.log(s.size, s.isFile(), s.isDirectory(), s.isSymbolicLink(), s.mtime instanceof Date, s.mtimeMs > 0, typeof s.mode);
const d = await fsp.stat('a');
console.log(d.isFile(), d.isDirectory());
console.log(fs.statSync('missing', { throwIfNoEntry: false }));

await attempt('read missing', () => readFile('missing.txt', 'utf8'));
await attempt('read directory', () => readFile('a'));
await attempt('readdir file', () => readdir('notes.txt'));
await attempt('readdir missing', () => readdir('nowhere'));
await attempt('stat missing', () => stat('nowhere/x'));
await attempt('mkdir existing', () => mkdir('a'));
await attempt('mkdir missing parent', () => mkdir('x/y'));
await attempt('write exclusive', () => writeFile('notes.txt', 'x', { flag: 'wx' }));
await attempt('write into missing dir', () => writeFile('nowhere/x.txt', 'x'));
await attempt('rm directory', () => rm('a'));
await attempt('rm missing', () => rm('missing'));
await attempt('rm missing forced', () => rm('missing', { force: true }));
await attempt('rmdir not empty', () => rmdir('a'));
await attempt('unlink missing', () => unlink('missing'));
await attempt('rename missing', () => rename('missing', 'elsewhere'));
await attempt('copy missing', () => copyFile('missing', 'elsewhere'));
await attempt('copy exclusive', () => copyFile('notes.txt', 'bytes.bin', fs.constants.COPYFILE_EXCL));
await attempt('access missing', () => access('missing'));
await attempt('access present', () => access('notes.txt'));
await attempt('write a number', () => writeFile('n.txt', 42));
await attempt('read a number path', () => readFile(42));

await rename('notes.txt', 'renamed.txt');
await copyFile('renamed.txt', 'copy.txt');
console.log(fs.existsSync('notes.txt'), fs.existsSync('renamed.txt'), fs.readFileSync('copy.txt', 'utf8').length);
await unlink('copy.txt');
await rm('a', { recursive: true });
await rmdir('a', { recursive: false }).catch((error) => console.log('rmdir gone', error.code));
console.log(await readdir('.'));

fs.writeFileSync('sync.txt', 'sync');
fs.appendFileSync('sync.txt', '!');
fs.mkdirSync('s/t', { recursive: true });
console.log(fs.readFileSync('sync.txt', 'utf8'), fs.readdirSync('s'), fs.statSync('sync.txt').size);
fs.rmSync('s', { recursive: true, force: true });
try {
  fs.readFileSync('missing');
} catch (error) {
  console.log('sync', failure(error));
}
await new Promise((resolve) => {
  fs.readFile('sync.txt', 'utf8', (error, text) => {
    console.log('callback', error, text);
    fs.readFile('missing', (error2) => {
      console.log('callback error', error2.code);
      resolve();
    });
  });
});

console.log(path.join('a', 'b', '..', 'c'), path.join('/a/', '/b'), path.join(''), path.join('a', ''), path.join('..', 'x'));
console.log(path.normalize('/a//b/./c/../d/'), path.normalize(''), path.normalize('a/../..'), path.normalize('./'));
console.log(path.dirname('/a/b/c.txt'), path.dirname('c.txt'), path.dirname('/a'), path.dirname('/'), path.dirname('a/b/'));
console.log(path.basename('/a/b/c.txt'), path.basename('/a/b/c.txt', '.txt'), path.basename('/a/b/'), path.basename('/'), JSON.stringify([path.basename('x.txt', 'x.txt'), path.basename('/a/x.txt', 'x.txt'), path.basename('aaa', 'a'), path.basename('a/', 'a')]));
console.log(path.extname('a.tar.gz'), path.extname('.bashrc'), path.extname('a.'), path.extname('a'), path.extname('..'));
console.log(path.isAbsolute('/x'), path.isAbsolute('x'), path.relative('/a/b/c', '/a/d'), path.relative('/a', '/a'), path.relative('/a', '/a/b/c'));
console.log(JSON.stringify([path.parse('/home/u/file.txt'), path.parse('file')]), path.format({ dir: '/x', name: 'f', ext: '.js' }), path.format({ root: '/', base: 'b' }));
console.log(path.sep, path.delimiter, path.posix === path, path.resolve('/a', 'b', '../c'), path.resolve('/x', '/y', 'z'));
