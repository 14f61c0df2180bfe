// The normalisation kernels' inner loops in WebAssembly SIMD (AssemblyScript), beside the JS
// ones in kernels/cpu/normalization.ts (same arithmetic; the JS ones are the oracle). Built by
// scripts/build_norm_wasm.mjs into kernels/simd/norm_wasm.ts. Pointers are byte offsets into
// this module's memory, which the JS side grows and fills.

/** y[j] = (x[j] − m)·a + b for j in [0, len): float32 lanes, four at a time. */
export function affineRow(x: usize, y: usize, len: i32, m: f32, a: f32, b: f32): void {
  const vm = f32x4.splat(m), va = f32x4.splat(a), vb = f32x4.splat(b);
  let j = 0;
  for (; j + 8 <= len; j += 8) {
    const p = <usize>j << 2;
    const v0 = v128.load(x + p), v1 = v128.load(x + p, 16);
    v128.store(y + p, f32x4.add(f32x4.mul(f32x4.sub(v0, vm), va), vb));
    v128.store(y + p, f32x4.add(f32x4.mul(f32x4.sub(v1, vm), va), vb), 16);
  }
  for (; j < len; j++) {
    const p = <usize>j << 2;
    store<f32>(y + p, (load<f32>(x + p) - m) * a + b);
  }
}

/**
 * Σ (x − k) and Σ (x − k)² over x[0, len) in float64 lanes (each float32 promoted), written to
 * out[0] and out[1] (f64).
 */
export function rowStats(x: usize, len: i32, k: f64, out: usize): void {
  const vk = f64x2.splat(k);
  let s0 = f64x2.splat(0), s1 = f64x2.splat(0), q0 = f64x2.splat(0), q1 = f64x2.splat(0);
  let j = 0;
  for (; j + 4 <= len; j += 4) {
    const v = v128.load(x + (<usize>j << 2));
    const d0 = f64x2.sub(f64x2.promote_low_f32x4(v), vk);
    const d1 = f64x2.sub(f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1)), vk);
    s0 = f64x2.add(s0, d0);
    s1 = f64x2.add(s1, d1);
    q0 = f64x2.add(q0, f64x2.mul(d0, d0));
    q1 = f64x2.add(q1, f64x2.mul(d1, d1));
  }
  const s = f64x2.add(s0, s1), q = f64x2.add(q0, q1);
  let sum = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  let sq = f64x2.extract_lane(q, 0) + f64x2.extract_lane(q, 1);
  for (; j < len; j++) {
    const d = <f64>load<f32>(x + (<usize>j << 2)) - k;
    sum += d;
    sq += d * d;
  }
  store<f64>(out, sum);
  store<f64>(out, sq, 8);
}

/** Where the caller may start placing data (after this module's static data). */
export function heapBase(): usize {
  return (__heap_base + 15) & ~15;
}
