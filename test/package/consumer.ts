/**
 * A brand-new user's project: `npm pack` of this repository (dist/ built first where it is
 * missing or older than its sources), the tarball unpacked into a fresh directory's
 * node_modules/tfjs-convtranspose3d exactly as `npm install ./x.tgz` lays it out, and tfjs,
 * fflate and TypeScript beside it as symlinks to this repository's node_modules (so the test
 * needs no network and takes seconds). Shared by the package specs; made once per process.
 */
import {execFile, execFileSync} from 'node:child_process';
import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join, resolve} from 'node:path';

export interface Consumer {
  /** The consumer project's directory. */
  dir: string;
  /** The tarball `npm pack` wrote. */
  tarball: string;
  /** Paths inside the tarball, without the leading `package/`. */
  files: string[];
  /** The installed package's directory (the unpacked tarball). */
  pkg: string;
}

/** What a user installs next to us (`npm install tfjs-convtranspose3d @tensorflow/tfjs`). */
const LINKED = [
  '@tensorflow/tfjs', '@tensorflow/tfjs-core', '@tensorflow/tfjs-layers',
  '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-webgl', 'fflate', 'typescript',
];

let made: Consumer|null = null;
// Registered on jasmine's top suite when a spec file imports this module: after every spec.
afterAll(() => removeConsumer());

export function consumer(): Consumer {
  if (made != null) return made;
  // `npm test` builds first; a spec run on its own rebuilds a missing or stale dist/ (~3 s).
  const built = existsSync('dist/types-cjs/package.json') ? statSync('dist/index.mjs').mtimeMs : 0;
  const inputs = [...listFiles('src').map(f => join('src', f)),
                  ...listFiles('kernels').map(f => join('kernels', f)),
                  'package.json', 'scripts/build.mjs', 'tsconfig.json', 'tsconfig.build.json'];
  if (inputs.some(f => statSync(f).mtimeMs > built)) {
    execFileSync(process.execPath, ['scripts/build.mjs'], {stdio: ['ignore', 'pipe', 'inherit']});
  }
  const dir = mkdtempSync(join(tmpdir(), 'tfjs-ct3d-consumer-'));
  const packed = execFileSync('npm', ['pack', '--json', '--pack-destination', dir],
                              {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']});
  const info = JSON.parse(packed)[0] as {filename: string, files: {path: string}[]};
  const tarball = join(dir, info.filename);
  const pkg = join(dir, 'node_modules', 'tfjs-convtranspose3d');
  mkdirSync(pkg, {recursive: true});
  execFileSync('tar', ['-xzf', tarball, '-C', pkg, '--strip-components=1']);
  const repoModules = realpathSync('node_modules');
  for (const name of LINKED) {
    const to = join(dir, 'node_modules', name);
    mkdirSync(dirname(to), {recursive: true});
    symlinkSync(join(repoModules, name), to, 'dir');
  }
  made = {dir, tarball, pkg, files: info.files.map(f => f.path).sort()};
  return made;
}

/** Removes the consumer directory. */
export function removeConsumer(): void {
  if (made != null) rmSync(made.dir, {recursive: true, force: true});
  made = null;
}

/** Runs `node args…` (or another command) in the consumer; resolves with its output. */
export function runIn(dir: string, file: string, args: string[], timeoutMs = 60000):
    Promise<{code: number, stdout: string, stderr: string}> {
  return new Promise(done => {
    execFile(file, args, {cwd: dir, encoding: 'utf8', timeout: timeoutMs},
             (err, stdout, stderr) => {
               const code = err == null ? 0 : typeof err.code === 'number' ? err.code : 1;
               done({code, stdout, stderr});
             });
  });
}

/** Every file under `dir`, relative to it. */
export function listFiles(dir: string, base = dir): string[] {
  return readdirSync(dir, {withFileTypes: true}).flatMap(e => {
    const p = join(dir, e.name);
    return e.isDirectory() ? listFiles(p, base) : [p.slice(base.length + 1)];
  });
}

export const readJson = (p: string) => JSON.parse(readFileSync(p, 'utf8'));
export const repoRoot = resolve('.');
