import * as tf from '@tensorflow/tfjs';
import {ConvTranspose3d, layers} from '../../src/index.js';
import {LAYER_TORCH_VERSION, layerCases} from '../fixtures/layer_fixtures.js';
import {describeWithBackends, expectNoLeak, expectTensorClose, fromFixture, tolerance} from '../util.js';
import {saveAndLoad} from './save_load.js';

function layerFor(c: typeof layerCases[number]) {
  return layers.convTranspose3d({...c.config, inputShape: c.input.shape.slice(1)});
}

/** A layer used outside a model owns its variables. */
function disposeLayer(layer: tf.layers.Layer) {
  layer.weights.forEach(v => v.dispose());
}


describeWithBackends('layers.convTranspose3d matches nn.ConvTranspose3d ' + LAYER_TORCH_VERSION,
    () => {
  for (const c of layerCases) {
    it(c.name, async () => {
      await expectNoLeak(async () => {
        const layer = layerFor(c);
        const x = fromFixture(c.input);
        const weights = [fromFixture(c.weight), ...(c.bias ? [fromFixture(c.bias)] : [])];
        layer.build([null, ...c.input.shape.slice(1)]);
        layer.setWeights(weights);  // PyTorch's layout: no transposes
        const y = layer.apply(x, c.outputSize ? {outputSize: c.outputSize} : {}) as tf.Tensor;
        const {atol, rtol} = tolerance('forward');
        await expectTensorClose(y, c.output, atol, rtol, c.name);
        expect(layer.getWeights().length).toBe(c.bias ? 2 : 1);
        tf.dispose([x, y, ...weights]);
        disposeLayer(layer);
      });
    });
  }

  it('runs in tf.sequential with predict', async () => {
    const c = layerCases.find(k => k.name === 'groups_dilation')!;
    await expectNoLeak(async () => {
      const model = tf.sequential({layers: [layerFor(c)]});
      const w = [fromFixture(c.weight), fromFixture(c.bias!)];
      model.layers[0].setWeights(w);
      const x = fromFixture(c.input);
      const y = model.predict(x) as tf.Tensor;
      expect(model.outputShape).toEqual([null, ...c.output.shape.slice(1)]);
      await expectTensorClose(y, c.output, 2e-4, 2e-4);
      tf.dispose([x, y, ...w]);
      model.dispose();
    });
  });

  it('honours outputSize in the functional API, and after save/load', async () => {
    const c = layerCases.find(k => k.name === 'output_size')!;
    await expectNoLeak(async () => {
      const input = tf.input({shape: c.input.shape.slice(1)});
      const layer = layers.convTranspose3d(c.config);
      const out = layer.apply(input, {outputSize: c.outputSize!}) as tf.SymbolicTensor;
      expect(out.shape).toEqual([null, ...c.output.shape.slice(1)]);
      const model = tf.model({inputs: input, outputs: out});
      const w = [fromFixture(c.weight), fromFixture(c.bias!)];
      layer.setWeights(w);
      const x = fromFixture(c.input);
      const y = model.predict(x) as tf.Tensor;
      await expectTensorClose(y, c.output, 2e-4, 2e-4, 'functional');
      const {model: loaded} = await saveAndLoad(model);
      const y2 = loaded.predict(x) as tf.Tensor;
      expect(Array.from(await y2.data())).toEqual(Array.from(await y.data()));
      tf.dispose([x, y, y2, ...w]);
      model.dispose();
      loaded.dispose();
    });
  });

  it('keeps unknown dimensions unknown in computeOutputShape', () => {
    const layer = layers.convTranspose3d({inChannels: 2, outChannels: 6, kernelSize: 3,
                                          stride: 2, padding: 1, outputPadding: 1, groups: 2});
    expect(layer.computeOutputShape([null, 2, 4, null, 5])).toEqual([null, 6, 8, null, 10]);
    expect(layer.computeOutputShape([3, 2, 1, 1, 1])).toEqual([3, 6, 2, 2, 2]);
    expect(() => layers.convTranspose3d({inChannels: 1, outChannels: 1, kernelSize: 1,
                                         padding: 1}).computeOutputShape([1, 1, 1, 1, 1]))
        .toThrowError(/Output size is too small/);
  });
});

describe('layers.convTranspose3d config', () => {
  const base = {inChannels: 4, outChannels: 6, kernelSize: 3};
  const bad: Array<[string, object, RegExp]> = [
    ['inChannels not divisible', {inChannels: 3, groups: 2, outChannels: 4},
     /ConvTranspose3d: in_channels must be divisible by groups \(got inChannels=3, groups=2\)/],
    ['outChannels not divisible', {groups: 4, outChannels: 6},
     /out_channels must be divisible by groups \(got outChannels=6, groups=4\)/],
    ['zero groups', {groups: 0}, /groups must be a positive integer \(got groups=0\)/],
    ['reflect padding', {paddingMode: 'reflect'},
     /Only "zeros" padding mode is supported for ConvTranspose3d/],
    ['unknown padding mode', {paddingMode: 'mirror'},
     /padding_mode must be one of \["zeros","reflect","replicate","circular"\], but got paddingMode='mirror'/],
    ['output padding too big', {stride: 2, outputPadding: 2},
     /output padding must be smaller than either stride or dilation/],
    ['negative padding', {padding: -1}, /negative padding is not supported/],
    ['fractional kernel', {kernelSize: 2.5}, /argument 'kernelSize' must be an integer/],
    ['zero kernel', {kernelSize: [1, 0, 1]}, /kernelSize must be positive/],
    ['missing inChannels', {inChannels: undefined}, /inChannels must be a positive integer/],
    ['non-boolean bias', {bias: 1}, /bias must be a boolean, but got 1/],
  ];
  for (const [name, over, re] of bad) {
    it(`refuses ${name}`, () => {
      expect(() => layers.convTranspose3d({...base, ...over} as typeof base)).toThrowError(re);
    });
  }

  it('round-trips every field through getConfig / fromConfig', () => {
    const layer = layers.convTranspose3d({
      name: 'ct', inChannels: 4, outChannels: 6, kernelSize: [3, 2, 1], stride: [2, 1, 3],
      padding: [1, 0, 0], outputPadding: [1, 0, 2], groups: 2, dilation: [1, 2, 1], bias: false,
      trainable: false,
    });
    const config = layer.getConfig();
    expect(config).toEqual(jasmine.objectContaining({
      name: 'ct', inChannels: 4, outChannels: 6, kernelSize: [3, 2, 1], stride: [2, 1, 3],
      padding: [1, 0, 0], outputPadding: [1, 0, 2], groups: 2, dilation: [1, 2, 1], bias: false,
      paddingMode: 'zeros', trainable: false,
    }));
    const copy = ConvTranspose3d.fromConfig(ConvTranspose3d, config) as ConvTranspose3d;
    expect(copy.getConfig()).toEqual(config);
  });

  it('registers under a package-qualified name', () => {
    expect(tf.serialization.getRegisteredName(ConvTranspose3d))
        .toBe('tfjs-convtranspose3d>PtConvTranspose3d');
  });
});

describe('layers.convTranspose3d initialisation (PyTorch reset_parameters)', () => {
  it('draws weight and bias from U(-b, b), b = 1/sqrt((outChannels/groups)·kD·kH·kW)', async () => {
    await expectNoLeak(async () => {
      const layer = layers.convTranspose3d({inChannels: 64, outChannels: 8, kernelSize: [2, 3, 4],
                                            groups: 2});
      layer.build([null, 64, 4, 4, 4]);
      const b = 1 / Math.sqrt(4 * 24);
      const [w, bias] = layer.getWeights();
      expect(w.shape).toEqual([64, 4, 2, 3, 4]);
      expect(bias.shape).toEqual([8]);
      const wd = Array.from(await w.data());
      const bd = Array.from(await bias.data());
      const max = wd.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      const mean = wd.reduce((s, v) => s + v, 0) / wd.length;
      const variance = wd.reduce((s, v) => s + (v - mean) ** 2, 0) / wd.length;
      expect(max).toBeLessThanOrEqual(b);
      expect(max).toBeGreaterThan(0.95 * b);
      expect(Math.abs(mean)).toBeLessThan(0.05 * b);  // n = 6144: sd of mean ≈ 0.007 b
      expect(Math.sqrt(variance)).toBeCloseTo(b / Math.sqrt(3), 2);
      expect(Array.from(bd).every(v => Math.abs(v) <= b)).toBeTrue();
      disposeLayer(layer);
    });
  });
});

describe('layers.convTranspose3d training and serialization', () => {
  it('trains with model.fit (the loss decreases)', async () => {
    await expectNoLeak(async () => {
      const model = tf.sequential({layers: [
        layers.convTranspose3d({inputShape: [2, 2, 2, 2], inChannels: 2, outChannels: 2,
                                kernelSize: 2, stride: 2, groups: 2}),
      ]});
      model.compile({optimizer: tf.train.adam(0.05), loss: 'meanSquaredError'});
      const x = tf.randomNormal([4, 2, 2, 2, 2], 0, 1, 'float32', 1);
      const teacher = layers.convTranspose3d({inChannels: 2, outChannels: 2, kernelSize: 2,
                                              stride: 2, groups: 2});
      const y = teacher.apply(x) as tf.Tensor;  // a target the model can reach
      const h = await model.fit(x, y, {epochs: 15, batchSize: 4, verbose: 0});
      const loss = h.history.loss as number[];
      expect(loss[loss.length - 1]).toBeLessThan(0.5 * loss[0]);
      tf.dispose([x, y]);
      disposeLayer(teacher);
      model.optimizer.dispose();
      model.dispose();
    });
  });

  it('saves and loads with identical outputs', async () => {
    await expectNoLeak(async () => {
      const model = tf.sequential({layers: [
        layers.convTranspose3d({inputShape: [4, 2, 3, 2], inChannels: 4, outChannels: 2,
                                kernelSize: 3, stride: [1, 2, 2], padding: 1,
                                outputPadding: [0, 1, 0], dilation: [1, 1, 2], groups: 2}),
        tf.layers.activation({activation: 'relu'}),
        layers.convTranspose3d({inChannels: 2, outChannels: 3, kernelSize: 1, bias: false}),
      ]});
      const {model: loaded, topology} = await saveAndLoad(model);
      expect(loaded.layers[0]).toBeInstanceOf(ConvTranspose3d);
      expect(JSON.stringify(topology)).toContain('"class_name":"PtConvTranspose3d"');
      expect(loaded.layers[2].getConfig()).toEqual(model.layers[2].getConfig());
      const x = tf.randomNormal([2, 4, 2, 3, 2], 0, 1, 'float32', 3);
      const [a, b] = [model.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor];
      expect(b.shape).toEqual(a.shape);
      expect(Array.from(await b.data())).toEqual(Array.from(await a.data()));
      tf.dispose([x, a, b]);
      model.dispose();
      loaded.dispose();
    });
  });
});
