import * as tf from '@tensorflow/tfjs';
import {layers, linear} from '../../src/index.js';
import {linearCases, linearErrors, MODEL_TORCH_VERSION} from '../fixtures/model_fixtures.js';
import {describeWithBackends, expectClose, expectNoLeak, expectTensorClose, fromFixture, tolerance} from '../util.js';
import {saveAndLoad} from './save_load.js';

describeWithBackends(`linear and layers.linear match PyTorch ${MODEL_TORCH_VERSION}`, () => {
  for (const c of linearCases) {
    it(`${c.name}: op forward and gradients, layer forward`, async () => {
      await expectNoLeak(async () => {
        const x = fromFixture(c.input), w = fromFixture(c.weight), cot = fromFixture(c.cot);
        const b = c.bias ? fromFixture(c.bias) : null;
        const fwd = tolerance('forward'), grad = tolerance('grad');
        const y = linear(x, w, b);
        await expectTensorClose(y, c.output, fwd.atol, fwd.rtol, c.name);
        const args = b ? [x, w, b] : [x, w];
        const grads = tf.grads((...t: tf.Tensor[]) =>
            tf.sum(tf.mul(linear(t[0], t[1], t[2] ?? null), cot)))(args);
        await expectTensorClose(grads[0], c.grads.input, grad.atol, grad.rtol, 'd/dinput');
        await expectTensorClose(grads[1], c.grads.weight, grad.atol, grad.rtol, 'd/dweight');
        if (c.grads.bias) {
          await expectTensorClose(grads[2], c.grads.bias, grad.atol, grad.rtol, 'd/dbias');
        }
        const [out, inF] = w.shape;
        const layer = layers.linear({inFeatures: inF, outFeatures: out, bias: b != null});
        layer.build([inF]);
        layer.setWeights(b ? [w, b] : [w]);
        const yl = layer.apply(x) as tf.Tensor;
        await expectTensorClose(yl, c.output, fwd.atol, fwd.rtol, `${c.name} (layer)`);
        if (x.rank > 1) {
          expect(layer.computeOutputShape([null, ...x.shape.slice(1, -1), inF]))
              .toEqual([null, ...c.output.shape.slice(1)]);
        }
        layer.weights.forEach(v => v.dispose());
        tf.dispose([y, yl, cot, ...args, ...grads]);
      });
    });
  }
});

describe('linear refuses what PyTorch refuses', () => {
  for (const e of linearErrors) {
    it(e.name, async () => {
      await expectNoLeak(() => {
        const x = tf.zeros(e.input), w = tf.zeros(e.weight);
        const key = e.torchMessage.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        expect(() => linear(x, w)).toThrowError(new RegExp(`^linear: ${key}`));
        tf.dispose([x, w]);
      });
    });
  }

  it('refuses a 3-D weight, a wrong bias, integer tensors and unknown layer arguments', async () => {
    await expectNoLeak(() => {
      const x = tf.zeros([2, 3]), w3 = tf.zeros([1, 2, 3]), w = tf.zeros([4, 3]);
      const b5 = tf.zeros([5]), xi = tf.zeros([2, 3], 'int32');
      expect(() => linear(x, w3))
          .toThrowError(/linear: t\(\) expects a tensor with <= 2 dimensions, but weight is 3D/);
      expect(() => linear(x, w, b5))
          .toThrowError(/linear: argument 'bias' must have shape \[4\], but got \[5\]/);
      expect(() => linear(xi, w))
          .toThrowError(/linear: argument 'input' must be a float32 tensor, but got a int32/);
      tf.dispose([x, w3, w, b5, xi]);
    });
    expect(() => layers.linear({inFeatures: 2, outFeatures: 3, units: 3} as never))
        .toThrowError(/Linear: got an unexpected keyword argument 'units' \(did you mean 'outFeatures'/);
    expect(() => layers.linear({inFeatures: 2, outFeatures: 3, bias: 1 as never}))
        .toThrowError(/Linear: argument 'bias' must be a boolean, but got 1/);
  });
});

describe('layers.linear: initialisation, names, serialisation', () => {
  it('initialises U(−1/√inFeatures, 1/√inFeatures), names linear_N, weights kernel [out, in], bias',
     async () => {
       await expectNoLeak(async () => {
         const layer = layers.linear({inFeatures: 50, outFeatures: 400});
         layer.build([null, 50]);
         expect(layer.name).toMatch(/^linear_\d+$/);
         expect(layer.weights.map(w => w.originalName.split('/').pop())).toEqual(['kernel', 'bias']);
         const bound = 1 / Math.sqrt(50);
         for (const v of layer.getWeights()) {
           const m = Math.max(...Array.from(await v.data(), Math.abs));
           expect(m).toBeLessThanOrEqual(bound);
           expect(m).toBeGreaterThan(0.9 * bound);
         }
         expect(layer.getWeights()[0].shape).toEqual([400, 50]);
         layer.weights.forEach(v => v.dispose());
       });
     });

  it('saves and loads a model with linear and pad layers', async () => {
    const model = tf.sequential({layers: [
      layers.pad({pad: [1, 2], mode: 'replicate', inputShape: [2, 4]}),
      layers.linear({inFeatures: 7, outFeatures: 3}),
      layers.pad({pad: [0, 1], value: 0.5}),
      layers.linear({inFeatures: 4, outFeatures: 2, bias: false}),
    ]});
    const {model: loaded} = await saveAndLoad(model);
    const x = tf.randomNormal([3, 2, 4]);
    const [ya, yb] = [model, loaded].map(m => m.predict(x) as tf.Tensor);
    expect(yb.shape).toEqual([3, 2, 2]);
    expectClose(await yb.data(), await ya.data(), 1e-7, 0, 'loaded model');
    expect(loaded.layers[0].getConfig().mode).toBe('replicate');
    expect(loaded.layers[2].getConfig().value).toBe(0.5);
    expect(loaded.layers[3].getConfig().bias).toBe(false);
    tf.dispose([x, ya, yb]);
    model.dispose();
    loaded.dispose();
  });

  it('conv and pad layers keep unknown spatial sizes unknown; predict on two sizes', () => {
    const input = tf.input({shape: [2, null, null, null]});
    const h = layers.conv3d({inChannels: 2, outChannels: 3, kernelSize: 2, padding: 'same',
                             paddingMode: 'reflect'}).apply(input) as tf.SymbolicTensor;
    const o = layers.pad({pad: [0, 1, 0, 1, 0, 1], mode: 'replicate'}).apply(h) as
        tf.SymbolicTensor;
    expect(o.shape).toEqual([null, 3, null, null, null]);
    const model = tf.model({inputs: input, outputs: o});
    const shapes = tf.tidy(() => [[1, 2, 3, 4, 5], [2, 2, 5, 5, 5]].map(
        s => (model.predict(tf.ones(s)) as tf.Tensor).shape));
    expect(shapes).toEqual([[1, 3, 4, 5, 6], [2, 3, 6, 6, 6]]);
    model.dispose();
  });

  it('layers.pad refuses bad options at construction', () => {
    expect(() => layers.pad({pad: [1]})).toThrowError(/layers\.pad: argument 'pad' must be an array of integers of even length/);
    expect(() => layers.pad({pad: [1, 1], mode: 'zeros' as never}))
        .toThrowError(/layers\.pad: argument 'mode' must be one of 'constant', 'reflect', 'replicate', 'circular', but got "zeros"/);
    expect(() => layers.pad({pad: [1, 1], mode: 'reflect', value: 1}))
        .toThrowError(/layers\.pad: Padding mode "reflect" doesn't take in value argument/);
    expect(() => layers.pad({pad: [1, 1], padding: 1} as never))
        .toThrowError(/layers\.pad: got an unexpected keyword argument 'padding'/);
    const p = layers.pad({pad: [1, 1, 2, 2], mode: 'reflect'});
    expect(p.name).toMatch(/^pad_\d+$/);
    expect(p.computeOutputShape([null, 3, 4, 5])).toEqual([null, 3, 8, 7]);
    expect(() => p.computeOutputShape([null, 3, 2, 5]))
        .toThrowError(/Padding size should be less than the corresponding input dimension/);
  });
});
