import * as tf from '@tensorflow/tfjs';
import {ConvTranspose1d, ConvTranspose2d, layers} from '../../src/index.js';
import {ndCases} from '../fixtures/fixtures.js';
import {describeWithBackends, expectNoLeak, expectTensorClose, fromFixture, tolerance} from '../util.js';
import {saveAndLoad} from './save_load.js';

/** PyTorch module semantics = F.conv_transpose{2,1}d with the module's weight and bias. */
const cases = ndCases.filter(c => c.kind === 'convT2d' || c.kind === 'convT1d');

function layerFor(c: typeof cases[number]) {
  const w = c.weight.shape;
  const groups = (c.options.groups as number|undefined) ?? 1;
  const config = {
    inChannels: w[0], outChannels: w[1] * groups, kernelSize: w.slice(2),
    stride: c.options.stride, padding: c.options.padding,
    outputPadding: c.options.outputPadding, dilation: c.options.dilation, groups,
    bias: c.bias != null,
  };
  return c.kind === 'convT2d' ? layers.convTranspose2d(config) : layers.convTranspose1d(config);
}

describeWithBackends('layers.convTranspose2d / convTranspose1d match PyTorch', () => {
  for (const c of cases) {
    it(`${c.name} with PyTorch's weights via setWeights`, async () => {
      await expectNoLeak(async () => {
        const layer = layerFor(c);
        const x = fromFixture(c.input);
        // Unbatched fixtures go through the layer with a unit batch, as a model would.
        const xb = c.input.shape.length === c.weight.shape.length ? x : tf.expandDims(x, 0);
        layer.build(xb.shape);
        const w = [fromFixture(c.weight), ...(c.bias ? [fromFixture(c.bias)] : [])];
        layer.setWeights(w);
        const os = c.options.outputSize?.slice(2 - c.weight.shape.length);  // spatial sizes
        const y = layer.apply(xb, os ? {outputSize: os} : {}) as tf.Tensor;
        const yu = xb === x ? y : tf.squeeze(y, [0]);
        const {atol, rtol} = tolerance('forward');
        await expectTensorClose(yu, c.output, atol, rtol, c.name);
        tf.dispose([x, xb, y, yu, ...w]);
        layer.weights.forEach(v => v.dispose());
      });
    });
  }

  for (const [nd, make, cls] of [
           [2, layers.convTranspose2d, ConvTranspose2d],
           [1, layers.convTranspose1d, ConvTranspose1d]] as const) {
    it(`${nd}-D: saves and loads with identical outputs, and computes its output shape`, async () => {
      await expectNoLeak(async () => {
        const spatial = nd === 2 ? [3, 4] : [5];
        const model = tf.sequential({layers: [
          make({inputShape: [4, ...spatial], inChannels: 4, outChannels: 2, kernelSize: 3,
                stride: 2, padding: 1, outputPadding: 1, groups: 2}),
          tf.layers.activation({activation: 'relu'}),
        ]});
        expect(model.outputs[0].shape).toEqual([null, 2, ...spatial.map(s => 2 * s)]);
        const {model: loaded, topology} = await saveAndLoad(model);
        expect(JSON.stringify(topology)).toContain(`"class_name":"PtConvTranspose${nd}d"`);
        expect(loaded.layers[0]).toBeInstanceOf(cls);
        expect(loaded.layers[0].getConfig()).toEqual(model.layers[0].getConfig());
        const x = tf.randomNormal([2, 4, ...spatial], 0, 1, 'float32', 5);
        const [a, b] = [model.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor];
        expect(Array.from(await b.data())).toEqual(Array.from(await a.data()));
        tf.dispose([x, a, b]);
        model.dispose();
        loaded.dispose();
      });
    });

    it(`${nd}-D: refuses PyTorch's constructor errors and a wrong-rank input`, () => {
      expect(() => make({inChannels: 3, outChannels: 4, kernelSize: 3, groups: 2}))
          .toThrowError(new RegExp(`^ConvTranspose${nd}d: in_channels must be divisible by groups`));
      expect(() => make({inChannels: 2, outChannels: 2, kernelSize: [3, 3, 3]}))
          .toThrowError(/expected kernelSize to be a single integer value or a list of [12] values/);
      const layer = make({inChannels: 2, outChannels: 2, kernelSize: 3});
      expect(() => layer.build([1, 2, 4, 4, 4]))
          .toThrowError(new RegExp(`ConvTranspose${nd}d: expected input \\[N, 2, ${nd === 2 ? 'H, W' : 'W'}\\]`));
    });
  }
});
