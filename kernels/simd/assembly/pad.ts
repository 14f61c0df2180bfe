// The pad kernel's sweep in WebAssembly SIMD (AssemblyScript), beside the JS one in
// kernels/cpu/padding.ts (the same source maps; the JS loops are the oracle). Compiled into the
// pooling module (kernels/simd/assembly/pool.ts re-exports it). Values are moved as 32-bit
// patterns (float32 or int32 alike), pointers are byte offsets into the module's memory.

/** dst[0, n) = bits, four at a time. */
// @ts-ignore: decorator
@inline function fillRow(dst: usize, n: i32, bits: i32): void {
  const v = i32x4.splat(bits);
  let j = 0;
  for (; j + 4 <= n; j += 4) v128.store(dst + (<usize>j << 2), v);
  for (; j < n; j++) store<i32>(dst + (<usize>j << 2), bits);
}

/**
 * `vols` volumes padded along their last three axes: input volumes [W0, W1, W2] one after
 * another at src, outputs [J0, J1, J2] at dst. map0/1/2 (i32) give each output index's input
 * index, −1 for the constant `bits`. Along the last axis, outputs [j0, j1) read the contiguous
 * run src row + shift + j (a memory.copy); the others go through map2.
 */
export function padVolumes(src: usize, dst: usize, vols: i32, W0: i32, W1: i32, W2: i32, J0: i32,
                           J1: i32, J2: i32, map0: usize, map1: usize, map2: usize, j0: i32,
                           j1: i32, shift: i32, bits: i32): void {
  const inVol = <usize>(W0 * W1 * W2) << 2, rowOut = <usize>J2 << 2;
  let t = dst;
  for (let v = 0; v < vols; v++) {
    const base = src + <usize>v * inVol;
    for (let a = 0; a < J0; a++) {
      const s0 = load<i32>(map0 + (<usize>a << 2));
      for (let b = 0; b < J1; b++, t += rowOut) {
        const s1 = load<i32>(map1 + (<usize>b << 2));
        if (s0 < 0 || s1 < 0) {
          fillRow(t, J2, bits);
          continue;
        }
        const row = base + (<usize>(s0 * W1 + s1) * <usize>W2 << 2);
        for (let j = 0; j < j0; j++) {
          const s = load<i32>(map2 + (<usize>j << 2));
          store<i32>(t + (<usize>j << 2), s < 0 ? bits : load<i32>(row + (<usize>s << 2)));
        }
        if (j1 > j0) {
          memory.copy(t + (<usize>j0 << 2), row + (<usize>(j0 + shift) << 2), <usize>(j1 - j0) << 2);
        }
        for (let j = j1; j < J2; j++) {
          const s = load<i32>(map2 + (<usize>j << 2));
          store<i32>(t + (<usize>j << 2), s < 0 ? bits : load<i32>(row + (<usize>s << 2)));
        }
      }
    }
  }
}
