// The pooling kernels' hottest loops in WebAssembly SIMD (AssemblyScript), beside the JS ones in
// kernels/cpu/pooling.ts (same taps in the same order, same arithmetic; the JS loops are the
// oracle). Built by scripts/build_wasm.mjs into kernels/simd/pool_wasm.ts, with interp.ts,
// pad.ts and activation.ts (tfjs' cpu LeakyRelu, kernels/cpu/activation.ts), re-exported at the
// end. Pointers are byte offsets into this module's memory, which the JS side
// (kernels/simd/pool_simd.ts) grows and fills a chunk at a time.

/** PyTorch's max rule, per lane: v replaces m when v > m or v is NaN (the first maximum stays). */
// @ts-ignore: decorator
@inline function maxStep(m: v128, v: v128): v128 {
  return v128.bitselect(v, m, v128.or(f32x4.gt(v, m), f32x4.ne(v, v)));
}

// @ts-ignore: decorator
@inline function maxStep1(m: f32, v: f32): f32 {
  return select<f32>(v, m, v > m || v != v);
}

/**
 * The rule when no tap can be NaN (the caller checked the staged data with `hasNaN`): `pmax(m, v)`
 * is `m < v ? v : m`, i.e. v replaces m only when v > m, as the rule does (−0 and +0 included:
 * the first stays; a NaN m stays). One instruction instead of four.
 */
// @ts-ignore: decorator
@inline function step(m: v128, v: v128, noNaN: bool): v128 {
  return noNaN ? f32x4.pmax(m, v) : maxStep(m, v);
}

/** Whether any of the n floats at p is NaN. */
export function hasNaN(p: usize, n: i32): bool {
  let acc = i32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(p + (<usize>i << 2));
    acc = v128.or(acc, f32x4.ne(v, v));
  }
  for (; i < n; i++) {
    const v = load<f32>(p + (<usize>i << 2));
    if (v != v) return true;
  }
  return v128.any_true(acc);
}

/**
 * Tiled windows of width 2 (kernel = stride = [kd, kh, 2], kd, kh ≤ 2): `slabs` output slabs
 * (one (plane, od) each, oH·oW outputs, written one after another at y) whose input slabs start
 * `slabIn` bytes apart at x. Output (oh, ow) of a slab reads the window rows r0 + oh·rowStep +
 * {0, q1, q2, q3} (n = 1, 2 or 4 rows, in window order), taps 2·ow and 2·ow + 1 of each. Four
 * outputs at a time: each row's 8 floats split into even and odd taps.
 */
// @ts-ignore: decorator
@inline function maxPool2Impl(x: usize, y: usize, slabs: i32, slabIn: usize, rowStep: usize,
                         oH: i32, oW: i32, n: i32, q1: usize, q2: usize, q3: usize,
                         noNaN: bool): void {
  for (let sl = 0; sl < slabs; sl++) {
    for (let oh = 0; oh < oH; oh++) {
      const r0 = x + <usize>sl * slabIn + <usize>oh * rowStep;
      const r1 = r0 + q1, r2 = r0 + q2, r3 = r0 + q3;
      let ow = 0;
      for (; ow + 4 <= oW; ow += 4) {
        const p = <usize>ow << 3;
        let a = v128.load(r0 + p), b = v128.load(r0 + p, 16);
        let m = i32x4.shuffle(a, b, 0, 2, 4, 6);
        m = step(m, i32x4.shuffle(a, b, 1, 3, 5, 7), noNaN);
        if (n >= 2) {
          a = v128.load(r1 + p); b = v128.load(r1 + p, 16);
          m = step(m, i32x4.shuffle(a, b, 0, 2, 4, 6), noNaN);
          m = step(m, i32x4.shuffle(a, b, 1, 3, 5, 7), noNaN);
        }
        if (n == 4) {
          a = v128.load(r2 + p); b = v128.load(r2 + p, 16);
          m = step(m, i32x4.shuffle(a, b, 0, 2, 4, 6), noNaN);
          m = step(m, i32x4.shuffle(a, b, 1, 3, 5, 7), noNaN);
          a = v128.load(r3 + p); b = v128.load(r3 + p, 16);
          m = step(m, i32x4.shuffle(a, b, 0, 2, 4, 6), noNaN);
          m = step(m, i32x4.shuffle(a, b, 1, 3, 5, 7), noNaN);
        }
        v128.store(y + (<usize>ow << 2), m);
      }
      for (; ow < oW; ow++) {
        const p = <usize>ow << 3;
        let m = maxStep1(load<f32>(r0 + p), load<f32>(r0 + p, 4));
        if (n >= 2) {
          m = maxStep1(m, load<f32>(r1 + p));
          m = maxStep1(m, load<f32>(r1 + p, 4));
        }
        if (n == 4) {
          m = maxStep1(m, load<f32>(r2 + p));
          m = maxStep1(m, load<f32>(r2 + p, 4));
          m = maxStep1(m, load<f32>(r3 + p));
          m = maxStep1(m, load<f32>(r3 + p, 4));
        }
        store<f32>(y + (<usize>ow << 2), m);
      }
      y += <usize>oW << 2;
    }
  }
}

export function maxPool2(x: usize, y: usize, slabs: i32, slabIn: usize, rowStep: usize,
                         oH: i32, oW: i32, n: i32, q1: usize, q2: usize, q3: usize,
                         noNaN: bool): void {
  if (noNaN) maxPool2Impl(x, y, slabs, slabIn, rowStep, oH, oW, n, q1, q2, q3, true);
  else maxPool2Impl(x, y, slabs, slabIn, rowStep, oH, oW, n, q1, q2, q3, false);
}

/** Σ of two f32x4 taps' lanes 0–1 (lo) or 2–3 (hi) added to float64 sums, in order. */
// @ts-ignore: decorator
@inline function lo64(v: v128): v128 {
  return f64x2.promote_low_f32x4(v);
}

// @ts-ignore: decorator
@inline function hi64(v: v128): v128 {
  return f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1));
}

/**
 * avgPool's maxPool2: the window's taps summed in float64 in window order (row 0 even, row 0
 * odd, row 1 even, …, as the JS loop's left-to-right sum), divided by `div` in float64, rounded
 * to float32 once.
 */
export function avgPool2(x: usize, y: usize, slabs: i32, slabIn: usize, rowStep: usize,
                         oH: i32, oW: i32, n: i32, q1: usize, q2: usize, q3: usize,
                         div: f64): void {
  const vd = f64x2.splat(div);
  for (let sl = 0; sl < slabs; sl++) {
    for (let oh = 0; oh < oH; oh++) {
      const r0 = x + <usize>sl * slabIn + <usize>oh * rowStep;
      const r1 = r0 + q1, r2 = r0 + q2, r3 = r0 + q3;
      let ow = 0;
      for (; ow + 4 <= oW; ow += 4) {
        const p = <usize>ow << 3;
        let a = v128.load(r0 + p), b = v128.load(r0 + p, 16);
        let e = i32x4.shuffle(a, b, 0, 2, 4, 6), o = i32x4.shuffle(a, b, 1, 3, 5, 7);
        let sl0 = f64x2.add(lo64(e), lo64(o)), sh0 = f64x2.add(hi64(e), hi64(o));
        if (n >= 2) {
          a = v128.load(r1 + p); b = v128.load(r1 + p, 16);
          e = i32x4.shuffle(a, b, 0, 2, 4, 6); o = i32x4.shuffle(a, b, 1, 3, 5, 7);
          sl0 = f64x2.add(f64x2.add(sl0, lo64(e)), lo64(o));
          sh0 = f64x2.add(f64x2.add(sh0, hi64(e)), hi64(o));
        }
        if (n == 4) {
          a = v128.load(r2 + p); b = v128.load(r2 + p, 16);
          e = i32x4.shuffle(a, b, 0, 2, 4, 6); o = i32x4.shuffle(a, b, 1, 3, 5, 7);
          sl0 = f64x2.add(f64x2.add(sl0, lo64(e)), lo64(o));
          sh0 = f64x2.add(f64x2.add(sh0, hi64(e)), hi64(o));
          a = v128.load(r3 + p); b = v128.load(r3 + p, 16);
          e = i32x4.shuffle(a, b, 0, 2, 4, 6); o = i32x4.shuffle(a, b, 1, 3, 5, 7);
          sl0 = f64x2.add(f64x2.add(sl0, lo64(e)), lo64(o));
          sh0 = f64x2.add(f64x2.add(sh0, hi64(e)), hi64(o));
        }
        const lo = f32x4.demote_f64x2_zero(f64x2.div(sl0, vd));
        const hi = f32x4.demote_f64x2_zero(f64x2.div(sh0, vd));
        v128.store(y + (<usize>ow << 2), i32x4.shuffle(lo, hi, 0, 1, 4, 5));
      }
      for (; ow < oW; ow++) {
        const p = <usize>ow << 3;
        let s = <f64>load<f32>(r0 + p) + <f64>load<f32>(r0 + p, 4);
        if (n >= 2) s = s + <f64>load<f32>(r1 + p) + <f64>load<f32>(r1 + p, 4);
        if (n == 4) {
          s = s + <f64>load<f32>(r2 + p) + <f64>load<f32>(r2 + p, 4);
          s = s + <f64>load<f32>(r3 + p) + <f64>load<f32>(r3 + p, 4);
        }
        store<f32>(y + (<usize>ow << 2), <f32>(s / div));
      }
      y += <usize>oW << 2;
    }
  }
}

/** Where the caller may start placing data (after this module's static data). */
export function heapBase(): usize {
  return (__heap_base + 15) & ~15;
}

/**
 * One pass of separable max pooling along the innermost axis (kernels/cpu/pooling.ts maxPass
 * with inner = 1): `rows` rows of inLen floats at src to rows of outLen at dst; output o's taps
 * are src[start[o] + k·d], k in [lo[o], hi[o]) (i32 tables at `start`, `lo`, `hi`), taken in
 * order under PyTorch's rule from −∞. With stride 1, the outputs [full0, full1) whose K taps are
 * all inside run four at a time from unaligned loads.
 */
// @ts-ignore: decorator
@inline function maxPassRowImpl(src: usize, dst: usize, rows: i32, inLen: i32, outLen: i32,
                           start: usize, lo: usize, hi: usize, d: i32, K: i32, full0: i32,
                           full1: i32, noNaN: bool): void {
  const ninf = f32x4.splat(-Infinity);
  for (let r = 0; r < rows; r++) {
    const s = src + (<usize>(r * inLen) << 2), t = dst + (<usize>(r * outLen) << 2);
    let o = 0;
    while (o < outLen) {
      if (o >= full0 && o + 4 <= full1) {
        const p = s + (<usize>load<i32>(start + (<usize>o << 2)) << 2);
        let m = ninf;
        for (let k = 0; k < K; k++) m = step(m, v128.load(p + (<usize>(k * d) << 2)), noNaN);
        v128.store(t + (<usize>o << 2), m);
        o += 4;
        continue;
      }
      const q = <usize>o << 2;
      const st = load<i32>(start + q), l = load<i32>(lo + q), h = load<i32>(hi + q);
      let m: f32 = -Infinity;
      for (let k = l; k < h; k++) m = maxStep1(m, load<f32>(s + (<usize>(st + k * d) << 2)));
      store<f32>(t + q, m);
      o++;
    }
  }
}

export function maxPassRow(src: usize, dst: usize, rows: i32, inLen: i32, outLen: i32,
                           start: usize, lo: usize, hi: usize, d: i32, K: i32, full0: i32,
                           full1: i32, noNaN: bool): void {
  if (noNaN) maxPassRowImpl(src, dst, rows, inLen, outLen, start, lo, hi, d, K, full0, full1,
                            true);
  else maxPassRowImpl(src, dst, rows, inLen, outLen, start, lo, hi, d, K, full0, full1, false);
}

/**
 * One pass along an outer axis (maxPass with inner > 1): src [outer, inLen, inner] to dst
 * [outer, outLen, inner]; output row o is the rule over the rows start[o] + k·d, k in
 * [lo[o], hi[o]), in order from −∞, four inner elements at a time.
 */
// @ts-ignore: decorator
@inline function maxPassRowsImpl(src: usize, dst: usize, outer: i32, inLen: i32, inner: i32,
                            outLen: i32, start: usize, lo: usize, hi: usize, d: i32,
                            noNaN: bool): void {
  const ninf = f32x4.splat(-Infinity);
  const rowBytes = <usize>inner << 2;
  for (let a = 0; a < outer; a++) {
    const s = src + <usize>(a * inLen) * rowBytes;
    for (let o = 0; o < outLen; o++) {
      const q = <usize>o << 2;
      const st = load<i32>(start + q), l = load<i32>(lo + q), h = load<i32>(hi + q);
      const t = dst + <usize>(a * outLen + o) * rowBytes;
      let b = 0;
      for (; b + 4 <= inner; b += 4) {
        const p = s + (<usize>b << 2);
        let m = ninf;
        for (let k = l; k < h; k++) {
          m = step(m, v128.load(p + <usize>(st + k * d) * rowBytes), noNaN);
        }
        v128.store(t + (<usize>b << 2), m);
      }
      for (; b < inner; b++) {
        const p = s + (<usize>b << 2);
        let m: f32 = -Infinity;
        for (let k = l; k < h; k++) m = maxStep1(m, load<f32>(p + <usize>(st + k * d) * rowBytes));
        store<f32>(t + (<usize>b << 2), m);
      }
    }
  }
}

export function maxPassRows(src: usize, dst: usize, outer: i32, inLen: i32, inner: i32,
                            outLen: i32, start: usize, lo: usize, hi: usize, d: i32,
                            noNaN: bool): void {
  if (noNaN) maxPassRowsImpl(src, dst, outer, inLen, inner, outLen, start, lo, hi, d, true);
  else maxPassRowsImpl(src, dst, outer, inLen, inner, outLen, start, lo, hi, d, false);
}

export {linPassW, linPassRows, nearPassW, nearPassRows} from './interp';
export {padVolumes} from './pad';
export {leakyRelu} from './activation';
