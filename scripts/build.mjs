// Builds the published package: ESM and CJS bundles (tfjs packages stay external so that the
// user's single copy of tfjs-core receives our kernel registrations) and .d.ts files.
import {build} from 'esbuild';
import {execFileSync} from 'node:child_process';
import {rmSync} from 'node:fs';
import {createRequire} from 'node:module';

const require = createRequire(import.meta.url);
rmSync('dist', {recursive: true, force: true});
const common = {
  entryPoints: ['src/index.ts'],
  bundle: true,
  platform: 'neutral',
  target: 'es2020',
  sourcemap: true,
  external: ['@tensorflow/*', 'fflate'],
  logLevel: 'warning',
};
await build({...common, format: 'esm', outfile: 'dist/index.mjs'});
await build({...common, format: 'cjs', outfile: 'dist/index.cjs'});
execFileSync(process.execPath,
    [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {stdio: 'inherit'});
console.log('built dist/index.mjs, dist/index.cjs, dist/types');
