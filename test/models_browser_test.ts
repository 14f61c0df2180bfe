// The whole-model parity specs (models_specs.ts) in the browser (cpu, cpu:js, webgl; webgpu and
// webgpu:gpu with KARMA_BACKENDS, once the convolution kernels are there too), reading
// demo/assets as karma serves them.
import {describeWholeModels} from './models_specs.js';

describeWholeModels(async f => {
  const r = await fetch(`/base/demo/assets/${f}`);
  if (!r.ok) throw new Error(`karma did not serve demo/assets/${f}: ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
});
