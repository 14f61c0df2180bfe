// The interpolation kernels' passes in WebAssembly SIMD (AssemblyScript), beside the JS ones in
// kernels/cpu/interpolate.ts (same taps, same float64 arithmetic rounded to float32 where the JS
// passes store; the JS loops are the oracle). Compiled into the pooling module
// (kernels/simd/assembly/pool.ts imports this file). Pointers are byte offsets into the module's
// memory; tables are i32 (indices) and f32 (weights) arrays there.

/** Linear along the innermost axis: dst[r, o] = f32(w0[o]·src[r, i0[o]] + w1[o]·src[r, i1[o]]). */
export function linPassW(src: usize, dst: usize, rows: i32, inLen: i32, outLen: i32, i0: usize,
                         i1: usize, w0: usize, w1: usize): void {
  for (let r = 0; r < rows; r++) {
    const s = src + (<usize>(r * inLen) << 2), t = dst + (<usize>(r * outLen) << 2);
    for (let o = 0; o < outLen; o++) {
      const q = <usize>o << 2;
      const p0 = <f64>load<f32>(s + (<usize>load<i32>(i0 + q) << 2));
      const p1 = <f64>load<f32>(s + (<usize>load<i32>(i1 + q) << 2));
      store<f32>(t + q, <f32>(<f64>load<f32>(w0 + q) * p0 + <f64>load<f32>(w1 + q) * p1));
    }
  }
}

/**
 * Linear along an outer axis: src [outer, inLen, inner] to dst [outer, outLen, inner], row o =
 * f32(w0[o]·row i0[o] + w1[o]·row i1[o]), four inner elements at a time in float64 pairs.
 */
export function linPassRows(src: usize, dst: usize, outer: i32, inLen: i32, inner: i32,
                            outLen: i32, i0: usize, i1: usize, w0: usize, w1: usize): void {
  const rowBytes = <usize>inner << 2;
  for (let a = 0; a < outer; a++) {
    const s = src + <usize>(a * inLen) * rowBytes;
    for (let o = 0; o < outLen; o++) {
      const q = <usize>o << 2;
      const r0 = s + <usize>load<i32>(i0 + q) * rowBytes, r1 = s + <usize>load<i32>(i1 + q) * rowBytes;
      const u = <f64>load<f32>(w0 + q), v = <f64>load<f32>(w1 + q);
      const vu = f64x2.splat(u), vv = f64x2.splat(v);
      const t = dst + <usize>(a * outLen + o) * rowBytes;
      let b = 0;
      for (; b + 4 <= inner; b += 4) {
        const p = <usize>b << 2;
        const x0 = v128.load(r0 + p), x1 = v128.load(r1 + p);
        const lo = f64x2.add(f64x2.mul(vu, f64x2.promote_low_f32x4(x0)),
                             f64x2.mul(vv, f64x2.promote_low_f32x4(x1)));
        const hi = f64x2.add(f64x2.mul(vu, f64x2.promote_low_f32x4(i32x4.shuffle(x0, x0, 2, 3, 0, 1))),
                             f64x2.mul(vv, f64x2.promote_low_f32x4(i32x4.shuffle(x1, x1, 2, 3, 0, 1))));
        v128.store(t + p, i32x4.shuffle(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi),
                                        0, 1, 4, 5));
      }
      for (; b < inner; b++) {
        const p = <usize>b << 2;
        store<f32>(t + p, <f32>(u * <f64>load<f32>(r0 + p) + v * <f64>load<f32>(r1 + p)));
      }
    }
  }
}

/**
 * Nearest along the innermost axis: dst[r, o] = src[r, i0[o]]; with `twice` (i0[o] = o >> 1,
 * ×2 up-sampling) each source element is written twice, four sources at a time.
 */
export function nearPassW(src: usize, dst: usize, rows: i32, inLen: i32, outLen: i32, i0: usize,
                          twice: bool): void {
  for (let r = 0; r < rows; r++) {
    const s = src + (<usize>(r * inLen) << 2), t = dst + (<usize>(r * outLen) << 2);
    let o = 0;
    if (twice) {
      for (; o + 8 <= outLen; o += 8) {
        const v = v128.load(s + (<usize>o << 1));
        v128.store(t + (<usize>o << 2), i32x4.shuffle(v, v, 0, 0, 1, 1));
        v128.store(t + (<usize>o << 2), i32x4.shuffle(v, v, 2, 2, 3, 3), 16);
      }
    }
    for (; o < outLen; o++) {
      const q = <usize>o << 2;
      store<u32>(t + q, load<u32>(s + (<usize>load<i32>(i0 + q) << 2)));
    }
  }
}

/** Nearest along an outer axis: row o of dst [outer, outLen, inner] is row i0[o] of src. */
export function nearPassRows(src: usize, dst: usize, outer: i32, inLen: i32, inner: i32,
                             outLen: i32, i0: usize): void {
  const rowBytes = <usize>inner << 2;
  for (let a = 0; a < outer; a++) {
    const s = src + <usize>(a * inLen) * rowBytes;
    for (let o = 0; o < outLen; o++) {
      memory.copy(dst + <usize>(a * outLen + o) * rowBytes,
                  s + <usize>load<i32>(i0 + (<usize>o << 2)) * rowBytes, rowBytes);
    }
  }
}
