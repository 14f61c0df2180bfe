import * as tf from '@tensorflow/tfjs';
import {layers} from '../../src/index.js';
import type {ConvLayerArgs} from '../../src/index.js';
import {convLayerCases, convLayerErrors, fitFixture, MODEL_TORCH_VERSION} from '../fixtures/model_fixtures.js';
import {describeWithBackends, expectClose, expectNoLeak, expectTensorClose, fromFixture, tolerance} from '../util.js';
import {saveAndLoad} from './save_load.js';

const MAKE = {3: layers.conv3d, 2: layers.conv2d, 1: layers.conv1d} as const;

/** A layer of the case, built, with PyTorch's weights. */
function makeLayer(nd: 1|2|3, config: Record<string, unknown>, weight: tf.Tensor,
                   bias: tf.Tensor|null) {
  const layer = MAKE[nd](config as unknown as ConvLayerArgs);
  layer.build([null, config.inChannels as number, ...new Array(nd).fill(null)]);
  layer.setWeights(bias ? [weight, bias] : [weight]);
  return layer;
}

/** PyTorch's message as a regex; its sets print in any order, so those match any content. */
function phrase(m: string): RegExp {
  const esc = m.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(esc.replace(/\\\{[^}]*\\\}/g, '\\{[^}]*\\}'));
}

describeWithBackends(`Conv layers match PyTorch ${MODEL_TORCH_VERSION}`, () => {
  for (const c of convLayerCases) {
    it(`${c.name}: forward and gradients`, async () => {
      await expectNoLeak(async () => {
        const w = fromFixture(c.weight), b = c.bias ? fromFixture(c.bias) : null;
        const layer = makeLayer(c.nd, c.config, w, b);
        expect(layer.reversedPadding).toEqual(c.reversedPadding);
        const x = fromFixture(c.input), cot = fromFixture(c.cot);
        const y = layer.apply(x) as tf.Tensor;
        const fwd = tolerance('forward'), grad = tolerance('grad');
        await expectTensorClose(y, c.output, fwd.atol, fwd.rtol, c.name);
        const expected = layer.computeOutputShape([null, ...c.input.shape.slice(1)]);
        expect(expected).toEqual([null, ...c.output.shape.slice(1)]);
        const loss = (t: tf.Tensor) => tf.sum(tf.mul(layer.apply(t) as tf.Tensor, cot));
        const dx = tf.grad(loss)(x);
        await expectTensorClose(dx, c.grads.input, grad.atol, grad.rtol, 'd/dinput');
        const vars = layer.trainableWeights.map(v => v.read() as tf.Variable);
        const {value, grads} = tf.variableGrads(() => loss(x) as tf.Scalar, vars);
        await expectTensorClose(grads[vars[0].name], c.grads.weight, grad.atol, grad.rtol,
                                'd/dweight');
        if (c.grads.bias) {
          await expectTensorClose(grads[vars[1].name], c.grads.bias, grad.atol, grad.rtol,
                                  'd/dbias');
        }
        tf.dispose([w, ...(b ? [b] : []), x, cot, y, dx, value, ...Object.values(grads)]);
        layer.weights.forEach(v => v.dispose());
      });
    });
  }
});

describe('Conv layers refuse what PyTorch refuses', () => {
  for (const e of convLayerErrors) {
    it(e.name, async () => {
      await expectNoLeak(() => {
        const make = () => {
          const layer = MAKE[e.nd](e.config as unknown as ConvLayerArgs);
          try {
            if (e.inputShape) {
              tf.tidy(() => {
                layer.apply(tf.zeros(e.inputShape!));
              });
            }
          } finally {
            layer.weights.forEach(v => v.dispose());
          }
        };
        expect(make).toThrowError(phrase(e.torchMessage));
      });
    });
  }

  it('refuses unknown and misspelt arguments, with tfjs hints', () => {
    expect(() => layers.conv3d({inChannels: 1, outChannels: 1, kernelSize: 3, filters: 2} as never))
        .toThrowError(/Conv3d: got an unexpected keyword argument 'filters' \(did you mean 'outChannels'/);
    expect(() => layers.conv2d({inChannels: 1, outChannels: 1, kernelSize: 3, padding_mode: 'reflect'} as never))
        .toThrowError(/Conv2d: got an unexpected keyword argument 'padding_mode' \(did you mean 'paddingMode'/);
    expect(() => layers.conv1d(null as never)).toThrowError(/Conv1d: expected a config object/);
    expect(() => layers.conv3d({inChannels: 0, outChannels: 1, kernelSize: 3}))
        .toThrowError(/Conv3d: argument 'inChannels' must be an integer ≥ 1, but got 0/);
  });
});

describe('Conv layers: initialisation, names, serialisation', () => {
  it("initialises weight and bias as PyTorch: U(−1/√fanIn, 1/√fanIn), fanIn = inChannels/groups·Πk",
     async () => {
       await expectNoLeak(async () => {
         const layer = layers.conv3d({inChannels: 8, outChannels: 64, kernelSize: [3, 2, 2],
                                      groups: 2});
         layer.build([null, 8, 4, 4, 4]);
         const bound = 1 / Math.sqrt(4 * 12);
         for (const v of layer.getWeights()) {
           const d = await v.data();
           const m = Math.max(...Array.from(d, Math.abs));
           expect(m).toBeLessThanOrEqual(bound);
           expect(m).toBeGreaterThan(0.9 * bound);
         }
         expect(layer.getWeights()[0].shape).toEqual([64, 4, 3, 2, 2]);
         layer.weights.forEach(v => v.dispose());
       });
     });

  it('names layers conv3d_N / conv2d_N / conv1d_N and weights kernel, bias', () => {
    const a = layers.conv3d({inChannels: 1, outChannels: 1, kernelSize: 1});
    const b = layers.conv3d({inChannels: 1, outChannels: 1, kernelSize: 1});
    expect(a.name).toMatch(/^conv3d_\d+$/);
    expect(b.name).not.toBe(a.name);
    expect(layers.conv1d({inChannels: 1, outChannels: 1, kernelSize: 1}).name).toMatch(/^conv1d_\d+$/);
    a.build([null, 1, 2, 2, 2]);
    expect(a.weights.map(w => w.originalName.split('/').pop())).toEqual(['kernel', 'bias']);
  });

  it('saves and loads a model (config and weights) with every padding option', async () => {
    const model = tf.sequential({layers: [
      layers.conv3d({inChannels: 2, outChannels: 3, kernelSize: 2, padding: 'same',
                     paddingMode: 'reflect', inputShape: [2, 4, 4, 4]}),
      layers.conv3d({inChannels: 3, outChannels: 2, kernelSize: [1, 3, 3], padding: [0, 1, 1],
                     groups: 1, dilation: [1, 1, 1], paddingMode: 'circular', bias: false}),
      layers.conv3d({inChannels: 2, outChannels: 2, kernelSize: 3, padding: 'valid',
                     stride: 2}),
    ]});
    const {model: loaded} = await saveAndLoad(model);
    const x = tf.randomNormal([1, 2, 4, 4, 4]);
    const [ya, yb] = [model, loaded].map(m => m.predict(x) as tf.Tensor);
    expect(yb.shape).toEqual([1, 2, 1, 1, 1]);
    expectClose(await yb.data(), await ya.data(), 1e-7, 0, 'loaded model');
    expect(loaded.layers[0].getConfig()).toEqual(model.layers[0].getConfig());
    expect(loaded.layers[1].getConfig().paddingMode).toBe('circular');
    tf.dispose([x, ya, yb]);
    model.dispose();
    loaded.dispose();
  });
});

describeWithBackends('fit: Conv3d → Flatten → Linear', () => {
  it("one SGD step equals PyTorch's", async () => {
    const f = fitFixture;
    const model = tf.sequential({layers: [
      layers.conv3d({inChannels: 2, outChannels: 3, kernelSize: 2, padding: 'same',
                     paddingMode: 'replicate', inputShape: [2, 3, 3, 3]}),
      tf.layers.flatten(),
      layers.linear({inFeatures: 81, outFeatures: 2}),
    ]});
    const before = (k: string) => fromFixture(f.before[k]);
    const ws = ['0.weight', '0.bias', '2.weight', '2.bias'].map(before);
    model.setWeights(ws);
    model.compile({optimizer: tf.train.sgd(f.lr), loss: 'meanSquaredError'});
    const x = fromFixture(f.input), t = fromFixture(f.target);
    const h = await model.fit(x, t, {batchSize: 4, epochs: 1, shuffle: false});
    expect(h.history.loss[0] as number).toBeCloseTo(f.loss, 5);
    const after = model.getWeights();
    const {atol, rtol} = tolerance('grad');
    const keys = ['0.weight', '0.bias', '2.weight', '2.bias'];
    for (let i = 0; i < keys.length; i++) {
      await expectTensorClose(after[i], f.after[keys[i]], atol, rtol, keys[i]);
    }
    tf.dispose([...ws, x, t]);
    model.dispose();
  });
});
