// Builds the published package: ESM and CJS bundles (tfjs packages stay external so that the
// user's single copy of tfjs-core receives our kernel registrations) and .d.ts files, twice:
// dist/types for the `import` condition (ESM, as the package is "type": "module") and
// dist/types-cjs for `require` (the same files under a {"type": "commonjs"} package.json, so
// TypeScript reads them as CommonJS: ESM types for a CJS bundle are "Masquerading as ESM" and
// node16/nodenext CommonJS consumers get TS1479). The bundles' source maps name ../src/*.ts and
// ../kernels/*.ts, which the package ships (package.json "files"), and embed their text too.
// Not a lifecycle script: `npm test` runs it first; run it yourself before `npm pack`/`publish`.
import {build} from 'esbuild';
import {execFileSync} from 'node:child_process';
import {cpSync, rmSync, writeFileSync} from 'node:fs';
import {createRequire} from 'node:module';

const require = createRequire(import.meta.url);
rmSync('dist', {recursive: true, force: true});
const common = {
  entryPoints: ['src/index.ts'],
  bundle: true,
  platform: 'neutral',
  target: 'es2020',
  sourcemap: true,
  sourcesContent: true,
  external: ['@tensorflow/*', 'fflate'],
  logLevel: 'warning',
};
await build({...common, format: 'esm', outfile: 'dist/index.mjs'});
await build({...common, format: 'cjs', outfile: 'dist/index.cjs'});
execFileSync(process.execPath,
    [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {stdio: 'inherit'});
cpSync('dist/types', 'dist/types-cjs', {recursive: true});
writeFileSync('dist/types-cjs/package.json', '{"type": "commonjs"}\n');
console.log('built dist/index.mjs, dist/index.cjs, dist/types (ESM), dist/types-cjs (CJS)');
