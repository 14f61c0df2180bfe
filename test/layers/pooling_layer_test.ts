import * as tf from '@tensorflow/tfjs';
import {AvgPool3d, InterpolateOptions, layers, MaxPool3d, Upsample} from '../../src/index.js';
import {interpolateCases, POOL_TORCH_VERSION, poolCases} from '../fixtures/pool_fixtures.js';
import {describeWithBackends, expectNoLeak, expectTensorClose, fromFixture, tolerance} from '../util.js';
import {saveAndLoad} from './save_load.js';

const POOL_LAYERS = {
  max: {1: layers.maxPool1d, 2: layers.maxPool2d, 3: layers.maxPool3d},
  avg: {1: layers.avgPool1d, 2: layers.avgPool2d, 3: layers.avgPool3d},
};


describeWithBackends('pooling and upsample layers match nn.MaxPool/AvgPool/Upsample ' +
    POOL_TORCH_VERSION, () => {
  // nn.MaxPool3d(k, …)(x) is F.max_pool3d(x, k, …): the ops' fixtures check the layers too.
  for (const c of poolCases) {
    it(`${c.kind}Pool${c.nd}d layer: ${c.name}`, async () => {
      await expectNoLeak(async () => {
        const layer = POOL_LAYERS[c.kind][c.nd]({kernelSize: c.kernelSize, ...c.options});
        const x = fromFixture(c.input);
        const y = layer.apply(x) as tf.Tensor;
        const {atol, rtol} = tolerance('forward');
        await expectTensorClose(y, c.output, atol, rtol, c.name);
        if (c.input.shape.length === c.nd + 2) {
          expect(layer.computeOutputShape([null, ...c.input.shape.slice(1)]))
              .toEqual([null, ...c.output.shape.slice(1)]);
        }
        tf.dispose([x, y]);
      });
    });
  }

  for (const c of interpolateCases) {
    it(`upsample layer: ${c.name}`, async () => {
      await expectNoLeak(async () => {
        const layer = layers.upsample(c.options as InterpolateOptions);
        const x = fromFixture(c.input);
        const y = layer.apply(x) as tf.Tensor;
        const {atol, rtol} = tolerance('forward');
        await expectTensorClose(y, c.output, atol, rtol, c.name);
        expect(layer.computeOutputShape(c.input.shape)).toEqual(c.output.shape);
        tf.dispose([x, y]);
      });
    });
  }

  it('a model with every layer saves, loads and predicts the same', async () => {
    await expectNoLeak(async () => {
      const model = tf.sequential({layers: [
        layers.maxPool3d({kernelSize: 3, stride: 1, padding: 1, dilation: 1, ceilMode: true,
                          inputShape: [2, 6, 7, 8]}),
        layers.avgPool3d({kernelSize: [2, 3, 2], stride: 1, padding: [1, 1, 0],
                          countIncludePad: false, divisorOverride: 4}),
        layers.upsample({scaleFactor: 1.7, mode: 'trilinear', alignCorners: true}),
        layers.upsample({size: [5, 6, 7]}),
      ]});
      const {model: loaded, topology} = await saveAndLoad(model);
      const json = JSON.stringify(topology);
      for (const cls of ['PtMaxPool3d', 'PtAvgPool3d', 'PtUpsample']) {
        expect(json).toContain(`"class_name":"${cls}"`);
      }
      expect(loaded.layers.map(l => l.constructor.name))
          .toEqual(['MaxPool3d', 'AvgPool3d', 'Upsample', 'Upsample']);
      expect((loaded.layers[1] as AvgPool3d).options).toEqual(
          (model.layers[1] as AvgPool3d).options);
      expect((loaded.layers[2] as Upsample).options).toEqual(
          {scaleFactor: 1.7, mode: 'trilinear', alignCorners: true});
      expect(loaded.outputShape).toEqual([null, 2, 5, 6, 7]);
      const x = tf.randomNormal([2, 2, 6, 7, 8], 0, 1, 'float32', 5);
      const a = model.predict(x) as tf.Tensor, b = loaded.predict(x) as tf.Tensor;
      expect(Array.from(await b.data())).toEqual(Array.from(await a.data()));
      tf.dispose([x, a, b]);
      model.dispose();
      loaded.dispose();
    });
  });

  it('gradients flow through the layers', async () => {
    await expectNoLeak(async () => {
      const pool = layers.maxPool2d({kernelSize: 2});
      const up = layers.upsample({scaleFactor: 2, mode: 'bilinear'});
      const x = tf.tensor([1, 5, 2, 0, 3, 4, 8, 1], [1, 1, 2, 4]);
      const dx = tf.grad((t: tf.Tensor) =>
          tf.sum(up.apply(pool.apply(t) as tf.Tensor) as tf.Tensor))(x);
      // Each pooled value feeds 4 upsampled ones (bilinear ×2 weights sum to 1 per output).
      expect(Array.from(await dx.data())).toEqual([0, 4, 0, 0, 0, 0, 4, 0]);
      tf.dispose([x, dx]);
    });
  });
});

describe('pooling and upsample layers: names and errors', () => {
  it('default names in tfjs style', () => {
    const a = new MaxPool3d({kernelSize: 2}), b = new MaxPool3d({kernelSize: 2});
    expect(a.name).toMatch(/^max_pool3d_\d+$/);
    expect(b.name).not.toBe(a.name);
    expect(layers.avgPool2d({kernelSize: 2}).name).toMatch(/^avg_pool2d_\d+$/);
    expect(layers.upsample({scaleFactor: 2}).name).toMatch(/^upsample_\d+$/);
  });

  it('unknown sizes stay unknown', () => {
    expect(layers.maxPool3d({kernelSize: 2}).computeOutputShape([null, 4, null, 8, 8]))
        .toEqual([null, 4, null, 4, 4]);
    expect(layers.upsample({size: [3, 4, 5]}).computeOutputShape([null, 4, null, 8, 8]))
        .toEqual([null, 4, 3, 4, 5]);
    expect(layers.upsample({scaleFactor: 2}).computeOutputShape([null, 4, null, 8, 8]))
        .toEqual([null, 4, null, 16, 16]);
  });

  const bad: Array<[string, () => unknown, RegExp]> = [
    ['a tfjs poolSize', () => layers.maxPool3d({poolSize: 2} as never),
     /MaxPool3d: got an unexpected keyword argument 'poolSize' \(did you mean 'kernelSize'\?\)/],
    ['a missing kernelSize', () => layers.avgPool3d({} as never), /AvgPool3d: kernelSize is required/],
    ['padding over half the kernel', () => layers.maxPool2d({kernelSize: 2, padding: 2}),
     /MaxPool2d: pad should be at most half of kernel size, but got pad=2 and kernelSize=2/],
    ['dilation in average pooling', () => layers.avgPool3d({kernelSize: 2, dilation: 2} as never),
     /AvgPool3d: got an unexpected keyword argument 'dilation'/],
    ['alignCorners with nearest', () => layers.upsample({scaleFactor: 2, alignCorners: true}),
     /Upsample: align_corners option can only be set with the interpolating modes/],
    ['neither size nor scaleFactor', () => layers.upsample({}),
     /Upsample: either size or scale_factor should be defined/],
    ['a scale list for the wrong mode', () => layers.upsample({scaleFactor: [2, 2], mode: 'trilinear'}),
     /Upsample: Input and scale_factor must have the same number of spatial dimensions/],
  ];
  for (const [name, f, re] of bad) {
    it(`refuses ${name}`, () => expect(f).toThrowError(re));
  }
});
