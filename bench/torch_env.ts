/**
 * How the benchmarks and the demo run PyTorch: `/usr/bin/python3` (Debian's torch) with OpenBLAS.
 * Debian's torch links the reference (netlib) BLAS by default, about 6× slower on convolutions,
 * which would flatter us; so we unpack Debian's `libopenblas0-pthread` into `.openblas/` (once,
 * with `apt-get download`, no root install) and point LD_LIBRARY_PATH at it. `blas` says which
 * BLAS was used, for the output.
 */
import {execSync, spawnSync} from 'node:child_process';
import {existsSync, mkdirSync, readdirSync} from 'node:fs';
import {join, resolve} from 'node:path';

export const PYTHON = '/usr/bin/python3';
const DIR = resolve('.openblas');
const LIB = join(DIR, 'usr/lib/x86_64-linux-gnu/openblas-pthread');

export interface TorchEnv {
  available: boolean;
  env: NodeJS.ProcessEnv;
  blas: string;
}

let cached: TorchEnv|undefined;

/**
 * PyTorch's environment for `threads` threads (default 1): OPENBLAS_NUM_THREADS set to it (the
 * script also calls torch.set_num_threads with it).
 */
export function torchEnv(threads = 1): TorchEnv {
  const t = oneThreadEnv();
  return threads === 1 || !t.available ? t :
      {...t, env: {...t.env, OPENBLAS_NUM_THREADS: String(threads)}};
}

function oneThreadEnv(): TorchEnv {
  if (cached) return cached;
  if (process.env.BENCH_NO_TORCH || !existsSync(PYTHON)) {
    return cached = {available: false, env: process.env, blas: 'none'};
  }
  try {
    execSync(`${PYTHON} -c "import torch"`, {stdio: 'ignore'});
  } catch {
    return cached = {available: false, env: process.env, blas: 'none'};
  }
  if (!existsSync(LIB)) {
    try {
      mkdirSync(DIR, {recursive: true});
      execSync('apt-get download libopenblas0-pthread', {cwd: DIR, stdio: 'ignore', timeout: 120e3});
      const deb = readdirSync(DIR).find(f => f.endsWith('.deb'));
      if (deb) execSync(`dpkg -x ${deb} .`, {cwd: DIR, stdio: 'ignore'});
    } catch { /* no apt: fall back to the default BLAS, and say so */ }
  }
  if (existsSync(LIB)) {
    const version = readdirSync(DIR).find(f => f.endsWith('.deb'))?.split('_')[1] ?? '';
    return cached = {
      available: true, blas: `OpenBLAS ${version} (pthread)`.replace('  ', ' '),
      // One thread: torch.set_num_threads may not reach a BLAS swapped in underneath it.
      env: {...process.env, OPENBLAS_NUM_THREADS: '1',
            LD_LIBRARY_PATH: [LIB, process.env.LD_LIBRARY_PATH].filter(s => s).join(':')},
    };
  }
  return cached = {available: true, env: process.env, blas: "Debian's default (netlib reference BLAS)"};
}

let announced = false;

/**
 * Runs one of the bench's PyTorch scripts with `input` (JSON) on stdin, with the BLAS above;
 * says once which BLAS that is. Null when PyTorch is not available or the script failed.
 */
export function runTorch(script: string, input: unknown): string|null {
  const torch = torchEnv();
  if (!torch.available) return null;
  if (!announced) console.log(`PyTorch runs with ${torch.blas}`);
  announced = true;
  const r = spawnSync(PYTHON, [script], {input: JSON.stringify(input), encoding: 'utf8',
                                         env: torch.env});
  if (r.status !== 0) {
    console.log(`(PyTorch not measured: ${r.stderr.trim().split('\n').pop() ?? ''})`);
    return null;
  }
  return r.stdout;
}
