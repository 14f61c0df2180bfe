import * as tf from '@tensorflow/tfjs';
import {BatchNorm3d, GroupNorm, InstanceNorm1d, layers} from '../../src/index.js';
import {NORM_TORCH_VERSION, NormLayerCase, normLayerCases} from '../fixtures/norm_fixtures.js';
import {describeWithBackends, expectNoLeak, expectTensorClose, FixtureArray, fromFixture, tolerance} from '../util.js';
import {saveAndLoad} from './save_load.js';

type Factory = (config: object) => tf.layers.Layer;
const FACTORIES = layers as unknown as Record<string, Factory>;

function layerFor(c: NormLayerCase, extra: object = {}): tf.layers.Layer {
  return FACTORIES[c.factory]({...c.config, inputShape: c.steps[0].input.shape.slice(1), ...extra});
}

/** A state_dict tensor as a tfjs one (num_batches_tracked, PyTorch's int64, as int32). */
function stateTensor(key: string, a: FixtureArray): tf.Tensor {
  return key === 'num_batches_tracked' ? tf.tensor(a.data, a.shape, 'int32') : fromFixture(a);
}

/** The weight name PyTorch would use: the part after the last '/' of the variable's name. */
const weightName = (w: tf.LayerVariable) => w.originalName.split('/').pop();

async function expectState(layer: tf.layers.Layer, state: Record<string, FixtureArray>,
                           what: string) {
  const {atol, rtol} = tolerance('grad');
  expect(layer.weights.map(weightName)).toEqual(Object.keys(state));
  for (const w of layer.weights) {
    const key = weightName(w)!;
    const v = w.read();
    expect(v.dtype).toBe(key === 'num_batches_tracked' ? 'int32' : 'float32');
    await expectTensorClose(v, state[key], atol, rtol, `${what}: ${key}`);
  }
}


describeWithBackends(`norm layers train and predict as torch.nn ${NORM_TORCH_VERSION}`, () => {
  for (const c of normLayerCases) {
    it(`${c.name}: two SGD steps (running statistics, num_batches_tracked), eval output, ` +
       'save/load', async () => {
      const layer = layerFor(c);
      const model = tf.sequential({layers: [layer]});
      model.compile({optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError'});
      // PyTorch's state_dict, in its order, loads with setWeights as it is.
      const initial = Object.entries(c.initial).map(([k, a]) => stateTensor(k, a));
      layer.setWeights(initial);
      tf.dispose(initial);
      await expectState(layer, c.initial, 'initial');
      await expectNoLeak(async () => {
        for (const [i, step] of c.steps.entries()) {
          const x = fromFixture(step.input), t = fromFixture(step.target);
          if (c.trainable) {
            const h = await model.fit(x, t, {batchSize: x.shape[0], epochs: 1, shuffle: false,
                                             verbose: 0});
            expect(h.history.loss[0] as number).toBeCloseTo(step.loss, 4);
          } else {
            tf.dispose(layer.apply(x, {training: true}) as tf.Tensor);
          }
          await expectState(layer, step.state, `after step ${i + 1}`);
          tf.dispose([x, t]);
        }
        const xe = fromFixture(c.evalInput);
        const ye = model.predict(xe) as tf.Tensor;
        const {atol, rtol} = tolerance('grad');
        await expectTensorClose(ye, c.evalOutput, atol, rtol, 'eval output');
        const {model: loaded, topology} = await saveAndLoad(model);
        expect(JSON.stringify(topology)).toContain(`"class_name":"${layer.getClassName()}"`);
        const yl = loaded.predict(xe) as tf.Tensor;
        await expectTensorClose(yl, c.evalOutput, atol, rtol, 'eval output after save/load');
        await expectState(loaded.layers[0], c.steps[1].state, 'after save/load');
        loaded.dispose();
        tf.dispose([xe, ye, yl]);
      });
      model.dispose();
    });
  }
});

describe('norm layers: configuration', () => {
  it("declare PyTorch's defaults, names and weights; round-trip getConfig/fromConfig", () => {
    const bn = layers.batchNorm3d({numFeatures: 4});
    expect(bn.name).toMatch(/^batch_norm3d_\d+$/);
    expect([bn.eps, bn.momentum, bn.affine, bn.trackRunningStats]).toEqual([1e-5, 0.1, true, true]);
    const inst = layers.instanceNorm2d({numFeatures: 4});
    expect(inst.name).toMatch(/^instance_norm2d_\d+$/);
    expect([inst.affine, inst.trackRunningStats]).toEqual([false, false]);
    const gn = layers.groupNorm({numGroups: 2, numChannels: 4});
    expect(gn.name).toMatch(/^group_norm_\d+$/);
    for (const [layer, cls] of [[bn, BatchNorm3d], [inst, layers.instanceNorm2d({numFeatures: 1}).constructor],
                                [gn, GroupNorm]] as const) {
      const config = layer.getConfig();
      const copy = tf.serialization.SerializationMap.getMap().classNameMap[layer.getClassName()];
      expect(copy).toBeDefined();
      const again = (cls as unknown as typeof GroupNorm).fromConfig(
          cls as never, config) as tf.layers.Layer;
      expect(again.getConfig()).toEqual(config);
    }
    expect(bn.getClassName()).toBe('PtBatchNorm3d');
    expect(new InstanceNorm1d({numFeatures: 2}).getClassName()).toBe('PtInstanceNorm1d');
  });

  it('refuse bad arguments with PyTorch-style messages', () => {
    expect(() => layers.batchNorm2d({numFeatures: 0}))
        .toThrowError(/^BatchNorm2d: argument 'numFeatures' must be an integer ≥ 1, but got 0/);
    expect(() => layers.batchNorm2d({numFeatures: 3, epsilon: 1e-3} as never))
        .toThrowError(/^BatchNorm2d: got an unexpected keyword argument 'epsilon' \(did you mean 'eps'\?\)/);
    expect(() => layers.groupNorm({numGroups: 4, numChannels: 6}))
        .toThrowError(/^GroupNorm: num_channels must be divisible by num_groups/);
    expect(() => layers.instanceNorm3d({numFeatures: 3, momentum: null}))
        .toThrowError(/^InstanceNorm3d: argument 'momentum' must be a number/);
    expect(() => layers.batchNorm1d({numFeatures: 3, affine: 1 as never}))
        .toThrowError(/^BatchNorm1d: argument 'affine' must be a boolean, but got 1/);
  });

  it("check the input rank with PyTorch's message", async () => {
    const x = tf.zeros([2, 3, 4, 4]);
    await expectNoLeak(() => {
      for (const [layer, msg] of [
        [layers.batchNorm3d({numFeatures: 3}), /^BatchNorm3d: expected 5D input \(got 4D input\)/],
        [layers.batchNorm1d({numFeatures: 3}), /^BatchNorm1d: expected 2D or 3D input \(got 4D input\)/],
        [layers.instanceNorm1d({numFeatures: 3}), /^InstanceNorm1d: expected 2D or 3D input \(got 4D input\)/],
      ] as const) {
        expect(() => layer.apply(x)).toThrowError(msg);
        layer.weights.forEach(w => w.dispose());
      }
    });
    x.dispose();
  });

  it('instance norm takes an unbatched input as PyTorch does', async () => {
    const layer = layers.instanceNorm1d({numFeatures: 2});
    await expectNoLeak(async () => {
      const x = tf.tensor2d([[1, 3], [2, 2]]);
      const y = layer.apply(x) as tf.Tensor;
      expect(y.shape).toEqual([2, 2]);
      const s = Math.sqrt(1 + 1e-5);
      expect(Array.from(await y.data()).map(v => Math.round(v * 1e4) / 1e4))
          .toEqual([-1 / s, 1 / s, 0, 0].map(v => Math.round(v * 1e4) / 1e4));
      tf.dispose([x, y]);
    });
  });
});
