// The normalisation kernels' inner loops in WebAssembly SIMD (AssemblyScript), beside the JS
// ones in kernels/cpu/normalization.ts (same arithmetic; the JS ones are the oracle). Built by
// scripts/build_wasm.mjs into kernels/simd/norm_wasm.ts. Pointers are byte offsets into
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
 * Σ (x − k) and Σ (x − k)² over x[0, len), written to out[0] and out[1] (f64); k must be a
 * float32 value. Float32 lanes (four times the float64 lanes' throughput: this loop, not memory,
 * bounded the norms) accumulate blocks of 128 elements, 8 per lane and chain, each block's sums
 * then added in float64: a block adds ~10 float32 roundings of its partial sums (≲ 10·2⁻²⁴
 * relative), and nothing grows with len. x − k is exact for data near k (Sterbenz).
 */
export function rowStats(x: usize, len: i32, k: f64, out: usize): void {
  const vk = f32x4.splat(<f32>k);
  let sLo = f64x2.splat(0), sHi = f64x2.splat(0), qLo = f64x2.splat(0), qHi = f64x2.splat(0);
  let j = 0;
  while (j + 16 <= len) {
    const end = j + min(128, (len - j) & ~15);
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
    let q0 = f32x4.splat(0), q1 = f32x4.splat(0), q2 = f32x4.splat(0), q3 = f32x4.splat(0);
    for (; j < end; j += 16) {
      const p = x + (<usize>j << 2);
      const d0 = f32x4.sub(v128.load(p), vk), d1 = f32x4.sub(v128.load(p, 16), vk);
      const d2 = f32x4.sub(v128.load(p, 32), vk), d3 = f32x4.sub(v128.load(p, 48), vk);
      s0 = f32x4.add(s0, d0);
      s1 = f32x4.add(s1, d1);
      s2 = f32x4.add(s2, d2);
      s3 = f32x4.add(s3, d3);
      q0 = f32x4.add(q0, f32x4.mul(d0, d0));
      q1 = f32x4.add(q1, f32x4.mul(d1, d1));
      q2 = f32x4.add(q2, f32x4.mul(d2, d2));
      q3 = f32x4.add(q3, f32x4.mul(d3, d3));
    }
    const s = f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3));
    const q = f32x4.add(f32x4.add(q0, q1), f32x4.add(q2, q3));
    sLo = f64x2.add(sLo, f64x2.promote_low_f32x4(s));
    sHi = f64x2.add(sHi, f64x2.promote_low_f32x4(i32x4.shuffle(s, s, 2, 3, 0, 1)));
    qLo = f64x2.add(qLo, f64x2.promote_low_f32x4(q));
    qHi = f64x2.add(qHi, f64x2.promote_low_f32x4(i32x4.shuffle(q, q, 2, 3, 0, 1)));
  }
  const s = f64x2.add(sLo, sHi), q = f64x2.add(qLo, qHi);
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
