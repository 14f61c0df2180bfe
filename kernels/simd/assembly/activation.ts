// tfjs' LeakyRelu in WebAssembly SIMD (AssemblyScript), compiled into the pooling module
// (kernels/simd/assembly/pool.ts re-exports it). It computes what tfjs-backend-cpu's JS loop
// `y = x < 0 ? alpha * x : x` computes, bit for bit: the product in float64 (alpha is a JS number),
// rounded once to float32; x itself wherever `x < 0` is false (0, −0, NaN, +x). Without a branch
// per element (tfjs' loop mispredicts every other element on data of mixed sign).

/** y[0, n) = leakyRelu(x[0, n)); x and y may be the same address. */
export function leakyRelu(x: usize, y: usize, n: i32, alpha: f64): void {
  const a = f64x2.splat(alpha), zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const v = v128.load(x + o);
    const lo = f64x2.mul(f64x2.promote_low_f32x4(v), a);
    const hi = f64x2.mul(f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1)), a);
    const p = v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi),
                                0, 1, 4, 5);
    v128.store(y + o, v128.bitselect(p, v, f32x4.lt(v, zero)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(x + o);
    store<f32>(y + o, v < 0 ? <f32>(alpha * <f64>v) : v);
  }
}
