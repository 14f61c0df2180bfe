// Whole PyTorch 3-D models ported with this package and tfjs alone (demo/models.ts, the PyTorch
// side in test/fixtures/make_model_assets.py), on every test backend: a MONAI-style U-Net
// (Conv3d, InstanceNorm3d, BatchNorm3d, GroupNorm, max pooling, nearest up-sampling,
// ConvTranspose3d, replicate padding, skip concatenations; odd input size) from its state_dict,
// and a 3D-GAN generator (Linear, BatchNorm3d, InstanceNorm3d, GroupNorm, Conv3d 'same' with
// replicate padding) from a training checkpoint, with no mapping and no key surgery. Node reads
// demo/assets from disk (models_node_test.ts), the browser through karma (models_browser_test.ts).
import * as tf from '@tensorflow/tfjs';
import {maxDiff} from '../demo/decoder.js';
import {buildGenerator, buildUNet} from '../demo/models.js';
import {assignStateDict, loadSafetensors, loadStateDict} from '../src/index.js';
import {describeWithBackends, expectNoLeak} from './util.js';

export type AssetReader = (file: string) => Promise<Uint8Array>;

export function describeWholeModels(read: AssetReader) {
  const CASES = [
    {name: 'unet3d', build: () => buildUNet(), weights: 'unet.pt', io: 'unet_io.safetensors',
     options: {}, keys: 'unet'},
    {name: 'generator (training checkpoint)', build: () => buildGenerator(),
     weights: 'generator_checkpoint.pt', io: 'generator_io.safetensors',
     options: {prefix: 'model_state_dict.'}, keys: 'generator'},
  ] as const;

  describeWithBackends('whole models match PyTorch', () => {
    for (const c of CASES) {
      it(c.name, async () => {
        const info = JSON.parse(new TextDecoder().decode(await read('models.json')));
        const [weights, ioBytes] = [await read(c.weights), await read(c.io)];
        await expectNoLeak(async () => {
          const model = c.build();
          const sd = loadStateDict(weights);
          const r = assignStateDict(model, sd, c.options);
          expect(r.missingKeys).toEqual([]);
          expect(r.unexpectedKeys).toEqual([]);
          expect(r.mismatched).toEqual([]);
          // Every key of PyTorch's state_dict is a weight of the model (buffers included).
          const prefix = (c.options as {prefix?: string}).prefix ?? '';
          for (const k of info[c.keys].keys as string[]) {
            expect(Object.keys(sd)).toContain(prefix + k);
          }
          const io = loadSafetensors(ioBytes);
          const y = model.predict(io.input) as tf.Tensor;
          expect(y.shape).toEqual(io.output.shape);
          const {diff, scale} = await maxDiff(y, io.output);
          expect(diff).withContext(`max|diff| vs max|y| ${scale}`)
              .toBeLessThanOrEqual(1e-4 * scale);
          tf.dispose([y, ...Object.values(sd), ...Object.values(io)]);
          model.dispose();
        });
      });
    }
  });
}
