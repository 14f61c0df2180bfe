// The demo's decoder, as `npm run demo` builds it, matches PyTorch (node:fs reads demo/assets).
import * as tf from '@tensorflow/tfjs';
import {readFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {buildDecoder, DECODER_MAPPING, maxDiff} from '../demo/decoder.js';
import {assignStateDict, loadSafetensors, loadStateDict} from '../src/index.js';
import {expectNoLeak} from './util.js';

const assets = join(dirname(fileURLToPath(import.meta.url)), '..', 'demo', 'assets');
const read = (f: string) => new Uint8Array(readFileSync(join(assets, f)));

describe('demo decoder matches PyTorch', () => {
  for (const file of ['decoder.pt', 'decoder.safetensors']) {
    it(`with weights from ${file}`, async () => {
      await expectNoLeak(async () => {
        const io = loadSafetensors(read('decoder_io.safetensors'));
        const model = buildDecoder();
        const sd = loadStateDict(read(file));
        const r = assignStateDict(model, sd, {mapping: DECODER_MAPPING});
        expect(r).toEqual({missingKeys: [], unexpectedKeys: [], mismatched: []});
        const y = model.predict(io.input) as tf.Tensor;
        expect(y.shape).toEqual(io.output.shape);
        const {diff, scale} = await maxDiff(y, io.output);
        expect(diff).toBeLessThanOrEqual(1e-4 * scale);
        tf.dispose([y, ...Object.values(sd), ...Object.values(io)]);
        model.dispose();
      });
    });
  }
});
