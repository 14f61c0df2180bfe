/**
 * The published bundles (dist/, built by `npm ci` through `prepare`, or `npm run build`) work for
 * ESM and CommonJS users: each is loaded in a fresh Node process with tfjs, as a user would.
 */
import {execFileSync} from 'node:child_process';
import {existsSync} from 'node:fs';

for (const file of ['smoke.cjs', 'smoke.mjs']) {
  describe(`the built package (${file.endsWith('cjs') ? 'require' : 'import'})`, () => {
    it('registers kernels and gradients and exports the ops, layers and ready()', () => {
      expect(existsSync('dist/index.cjs') && existsSync('dist/index.mjs'))
          .withContext('dist/ is missing: run `npm run build` (npm ci does it)').toBe(true);
      const out = execFileSync(process.execPath, [`test/package/${file}`], {encoding: 'utf8'});
      const summary = JSON.parse(out.trim().split('\n').pop()!);
      // No padding, so every (input voxel, tap) product lands: 2 channels · 2 · 27 voxels · 27 taps.
      expect(summary.y).toEqual([1, 2, 7, 7, 7]);
      expect(summary.sum).toBe(2 * 2 * 27 * 27);
      expect(summary.g).toEqual([1, 2, 3, 3, 3]);
      expect(summary.ready).toBe(true);
      expect(summary.layer).toBe('PtConvTranspose1d');
    });
  });
}
