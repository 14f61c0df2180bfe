import * as tf from '@tensorflow/tfjs';
import {assignStateDict, layers, loadStateDict, stateDictTaker} from '../../src/index.js';
import {modelFile, MODEL_TORCH_VERSION, stateDictFixture as F} from '../fixtures/model_fixtures.js';
import {expectClose, expectNoLeak, expectTensorClose, fromFixture} from '../util.js';

/**
 * The fixture's Net (encoder.0.conv, encoder.1.conv without bias, head) with tfjs layers named
 * by the PyTorch module paths; the spatial mean is a reshape + channels-first global pooling.
 */
function makeNet(name = 'net') {
  const input = tf.input({shape: [1, 3, 3, 3]});
  let h = layers.conv3d({inChannels: 1, outChannels: 2, kernelSize: 3, padding: 1,
                         name: 'encoder.0.conv'}).apply(input) as tf.SymbolicTensor;
  h = tf.layers.reLU().apply(h) as tf.SymbolicTensor;
  h = layers.conv3d({inChannels: 2, outChannels: 2, kernelSize: 3, padding: 1, bias: false,
                     name: 'encoder.1.conv'}).apply(h) as tf.SymbolicTensor;
  h = tf.layers.reLU().apply(h) as tf.SymbolicTensor;
  h = tf.layers.reshape({targetShape: [2, 27, 1]}).apply(h) as tf.SymbolicTensor;
  h = tf.layers.globalAveragePooling2d({dataFormat: 'channelsFirst'}).apply(h) as
      tf.SymbolicTensor;
  const out = layers.linear({inFeatures: 2, outFeatures: 3, name: 'head'}).apply(h) as
      tf.SymbolicTensor;
  return tf.model({inputs: input, outputs: out, name});
}

async function weightsOf(model: tf.LayersModel): Promise<Float32Array[]> {
  return Promise.all(model.getWeights().map(async w => (await w.data()) as Float32Array));
}

describe(`assignStateDict loads whole PyTorch ${MODEL_TORCH_VERSION} models`, () => {
  it('a training checkpoint {model_state_dict, optimizer_state_dict} with prefix, no mapping',
     async () => {
       const model = makeNet();
       await expectNoLeak(async () => {
         const sd = loadStateDict(modelFile('checkpoint.pt'));
         // Our loader flattens nested dicts with '.'; the optimizer's tensors come along.
         expect(Object.keys(sd)).toContain('optimizer_state_dict.state.0.momentum_buffer');
         const r = assignStateDict(model, sd, {prefix: 'model_state_dict'});
         expect(r.missingKeys).toEqual([]);
         expect(r.unexpectedKeys).toEqual([]);
         expect(r.ignoredKeys!.every(k => k.startsWith('optimizer_state_dict.'))).toBe(true);
         expect(r.ignoredKeys!.length).toBeGreaterThan(0);
         tf.dispose(Object.values(sd));
         const x = fromFixture(F.input);
         const y = model.predict(x) as tf.Tensor;
         await expectTensorClose(y, F.output, 1e-5, 1e-4, 'net output');
         tf.dispose([x, y]);
       });
       const names = model.layers.filter(l => l.weights.length).map(l => l.name);
       expect(names).toEqual(['encoder.0.conv', 'encoder.1.conv', 'head']);
       model.dispose();
     });

  it("a DataParallel state_dict ('module.' prefix, with or without the dot)", async () => {
    const model = makeNet();
    const sd = loadStateDict(modelFile('data_parallel.pt'));
    for (const prefix of ['module', 'module.']) {
      const r = assignStateDict(model, sd, {prefix});
      expect(r.ignoredKeys).toEqual([]);
    }
    for (const [k, exp] of Object.entries(F.expected)) {
      const layer = model.getLayer(k.slice(0, k.lastIndexOf('.')));
      const w = layer.getWeights()[k.endsWith('.bias') ? 1 : 0];
      expectClose(await w.data(), exp.data, 1e-7, 0, k);
    }
    tf.dispose(Object.values(sd));
    model.dispose();
  });

  it('without the prefix, reports the unexpected and missing keys as PyTorch and writes nothing',
     async () => {
       const model = makeNet();
       const before = await weightsOf(model);
       const sd = loadStateDict(modelFile('checkpoint.pt'));
       expect(() => assignStateDict(model, sd)).toThrowError(new RegExp(
           'Error\\(s\\) in loading state_dict for net:\\n\\tUnexpected key\\(s\\) in state_dict: ' +
           '"model_state_dict\\.encoder\\.0\\.conv\\.weight".*\\n\\tMissing key\\(s\\) in ' +
           'state_dict: "encoder\\.0\\.conv\\.weight"'));
       expect(await weightsOf(model)).toEqual(before);
       const r = assignStateDict(model, sd, {strict: false});
       expect(r.missingKeys.length).toBe(5);
       expect(await weightsOf(model)).toEqual(before);
       tf.dispose(Object.values(sd));
       model.dispose();
     });

  it("maps tfjs' own layers by name too (kernel → weight)", () => {
    const model = tf.sequential({layers: [
      tf.layers.dense({units: 2, inputShape: [3], name: 'decoders.0.upsample'})]});
    expect(model.layers[0].weights[0].originalName).toBe('decoders.0.upsample/kernel');
    const r = assignStateDict(model, {}, {strict: false});
    expect(r.missingKeys).toEqual(['decoders.0.upsample.weight', 'decoders.0.upsample.bias']);
    model.dispose();
  });
});

/** A layer with BatchNorm's parameters and buffers, named as PyTorch's (the norms' layout). */
class FakeNorm extends tf.layers.Layer {
  static className = 'FakeNormForTest';
  override build() {
    const ones = tf.initializers.ones(), zeros = tf.initializers.zeros();
    this.addWeight('weight', [2], 'float32', ones);
    this.addWeight('bias', [2], 'float32', zeros);
    this.addWeight('running_mean', [2], 'float32', zeros, undefined, false);
    this.addWeight('running_var', [2], 'float32', ones, undefined, false);
    this.addWeight('num_batches_tracked', [], 'int32', zeros, undefined, false);
    this.built = true;
  }
  override call(x: tf.Tensor|tf.Tensor[]) {
    return Array.isArray(x) ? x[0] : x;
  }
}

describe('assignStateDict: buffers, dtypes, all or nothing', () => {
  function makeModel() {
    const model = tf.sequential({layers: [
      layers.conv1d({inChannels: 2, outChannels: 2, kernelSize: 1, name: 'c', inputShape: [2, 3]}),
      new FakeNorm({name: 'bn'}),
    ]});
    return model;
  }
  const goodSd = () => ({
    'c.weight': tf.ones([2, 2, 1]), 'c.bias': tf.ones([2]),
    'bn.weight': tf.fill([2], 2), 'bn.bias': tf.fill([2], 3),
    'bn.running_mean': tf.fill([2], 4), 'bn.running_var': tf.fill([2], 5),
    'bn.num_batches_tracked': tf.scalar(7, 'int32'),
  } as Record<string, tf.Tensor|null|undefined|object>);

  it('maps running_mean, running_var and num_batches_tracked (int32 scalar) like parameters',
     async () => {
       const model = makeModel();
       const sd = goodSd();
       assignStateDict(model, sd as tf.NamedTensorMap);
       const w = model.getLayer('bn').getWeights();
       expect(w.map(t => t.dtype)).toEqual(['float32', 'float32', 'float32', 'float32', 'int32']);
       expect(Array.from(await w[4].data())).toEqual([7]);
       expect(Array.from(await w[3].data())).toEqual([5, 5]);
       tf.dispose(Object.values(sd) as tf.Tensor[]);
       model.dispose();
     });

  const bad: Array<[string, (sd: Record<string, unknown>) => void, RegExp]> = [
    ['a disposed tensor', sd => (sd['bn.bias'] as tf.Tensor).dispose(),
     /While copying the parameter named "bn\.bias", the checkpoint's tensor has been disposed/],
    ['a tensor-like object', sd => {
      sd['bn.running_mean'] = {shape: [2], dtype: 'float32', dataSync: () => [1, 2]};
    }, /While copying the parameter named "bn\.running_mean", expected torch\.Tensor or Tensor-like object from checkpoint but received object/],
    ['null', sd => {
      sd['c.bias'] = null;
    }, /While copying the parameter named "c\.bias", expected torch\.Tensor or Tensor-like object from checkpoint but received NoneType \(null\)/],
    ['undefined', sd => {
      sd['bn.running_var'] = undefined;
    }, /"bn\.running_var", expected torch\.Tensor .* received NoneType \(undefined\)/],
    ['a float32 num_batches_tracked', sd => {
      sd['bn.num_batches_tracked'] = tf.scalar(7);
    }, /dtype mismatch for bn\.num_batches_tracked: the checkpoint's tensor is float32, the model's weight is int32/],
    ['a wrong shape', sd => {
      sd['bn.num_batches_tracked'] = tf.tensor([7], [1], 'int32');
    }, /size mismatch for bn\.num_batches_tracked: copying a param with shape torch\.Size\(\[1\]\) from checkpoint, the shape in current model is torch\.Size\(\[\]\)/],
  ];
  for (const [what, spoil, message] of bad) {
    for (const strict of [true, false]) {
      it(`${what} (strict ${strict}): throws before writing anything; the model still works`,
         async () => {
           const model = makeModel();
           const before = await weightsOf(model);
           const sd = goodSd();
           const all = Object.values(sd) as tf.Tensor[];
           spoil(sd);
           await expectNoLeak(async () => {
             expect(() => assignStateDict(model, sd as tf.NamedTensorMap, {strict}))
                 .toThrowError(message);
           });
           expect(await weightsOf(model)).toEqual(before);
           const y = tf.tidy(() => model.predict(tf.ones([1, 2, 3])) as tf.Tensor);
           expect(y.shape).toEqual([1, 2, 3]);
           tf.dispose([y, ...all, ...Object.values(sd).filter(t => t instanceof tf.Tensor) as tf.Tensor[]]);
           model.dispose();
         });
    }
  }

  it('refuses a non-object state_dict, unknown options and a non-string prefix', () => {
    const model = makeModel();
    expect(() => assignStateDict(model, null as never))
        .toThrowError(/assignStateDict: argument 'stateDict' must be an object of named tensors .* but got null/);
    expect(() => assignStateDict(model, tf.zeros([1]) as never))
        .toThrowError(/assignStateDict: argument 'stateDict' must be an object/);
    expect(() => assignStateDict(model, {}, {strcit: true} as never))
        .toThrowError(/assignStateDict: got an unexpected keyword argument 'strcit'/);
    expect(() => assignStateDict(model, {}, {prefix: 3} as never))
        .toThrowError(/assignStateDict: option 'prefix' must be a string, but got 3/);
    expect(() => assignStateDict(null as never, {}))
        .toThrowError(/assignStateDict: argument 'model' must be a tfjs LayersModel, but got null/);
    tf.disposeVariables();
  });
});

describe('stateDictTaker', () => {
  it('takes by key, names the missing key and close keys, reports unused keys', async () => {
    await expectNoLeak(() => {
      const sd = {'enc.0.conv.weight': tf.zeros([2, 1, 3]), 'enc.0.conv.bias': tf.zeros([2]),
                  'dec.weight': tf.zeros([1, 2, 3])};
      const p = stateDictTaker(sd);
      expect(p.take('enc.0.conv.weight', [2, 1, 3])).toBe(sd['enc.0.conv.weight']);
      expect(() => p.take('enc.0.weight'))
          .toThrowError(/stateDictTaker: no key 'enc\.0\.weight' in the state_dict \(3 keys\); close keys: 'enc\.0\.conv\.weight', 'dec\.weight'/);
      expect(() => p.take('dec.weight', [1, 2]))
          .toThrowError(/stateDictTaker: 'dec\.weight' has shape torch\.Size\(\[1, 2, 3\]\), expected torch\.Size\(\[1, 2\]\)/);
      expect(p.has('dec.weight')).toBe(true);
      expect(p.unusedKeys()).toEqual(['enc.0.conv.bias', 'dec.weight']);
      expect(() => p.assertAllUsed())
          .toThrowError(/stateDictTaker: 2 key\(s\) of the state_dict were never taken: "enc\.0\.conv\.bias", "dec\.weight"/);
      p.take('enc.0.conv.bias');
      p.take('dec.weight');
      expect(p.unusedKeys()).toEqual([]);
      p.assertAllUsed();
      const q = stateDictTaker({'module.a': sd['dec.weight'], 'other': null}, {prefix: 'module'});
      expect(q.take('a')).toBe(sd['dec.weight']);
      expect(q.unusedKeys()).toEqual([]);
      const r = stateDictTaker({a: null});
      expect(() => r.take('a')).toThrowError(/stateDictTaker: 'a' is not a Tensor but NoneType/);
      expect(() => stateDictTaker(null as never)).toThrowError(/stateDictTaker: argument 'stateDict' must be an object/);
      tf.dispose(Object.values(sd));
    });
  });
});
