/**
 * The hostile files that could hang or exhaust memory, each as a function that builds the file
 * and loads it. hostile_files_node_test.ts runs them in a worker thread with a heap limit and a
 * timeout, so that a regression fails the spec instead of hanging or killing the test process.
 */
import * as tf from '@tensorflow/tfjs-core';
import {deflateSync} from 'fflate';
import {loadSafetensors, loadStateDict, loadTorchFile} from '../../src/index.js';
import hostile from '../fixtures/hostile_files.json';
import {f32, Pickle, safetensorsText, torchFile} from './hostile_builders.js';

export function hostileFixture(name: keyof typeof hostile.files): Uint8Array {
  const s = atob(hostile.files[name]);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** `{w: tensor([1, 2]), x: <what push() leaves on the stack>}` as a torch.save file. */
function withValue(push: (p: Pickle) => void): Uint8Array {
  const p = new Pickle().emptyDict().mark().str('w').tensor('0', 2, [2], [1]).str('x');
  push(p);
  return torchFile(p.setItems().stop(), {'0': f32([1, 2])});
}

/** Depth of nested arrays, iteratively (each level's first element). */
function arrayDepth(v: unknown): number {
  let d = 0;
  while (Array.isArray(v)) {
    d++;
    v = v[0];
  }
  return d;
}

function keysOf(sd: tf.NamedTensorMap): string[] {
  const keys = Object.keys(sd);
  tf.dispose(Object.values(sd));
  return keys;
}

/** An `l(i+1) = [l(i), l(i)]` list through the memo, `levels` deep. */
function laughs(p: Pickle, levels: number) {
  p.emptyList().put(0).op(0x30);  // POP: the memo holds it
  for (let i = 1; i <= levels; i++) {
    p.emptyList().get(i - 1).append().get(i - 1).append().put(i).op(0x30);
  }
  p.get(levels);
}

export const HOSTILE_CASES: Record<string, () => unknown> = {
  // 1: the pickle shares the lists; so does the result (2^30 paths, 31 objects).
  'memo laughs (PyTorch file, 30 levels)': () => {
    const {tensors, other} = loadTorchFile(hostileFixture('laughs.pt'));
    const x = other.x as unknown[][];
    return {keys: keysOf(tensors), shared: x[0] === x[1], depth: arrayDepth(x)};
  },
  'memo laughs (hand-made, 60 levels)': () => {
    const {tensors, other} = loadTorchFile(withValue(p => laughs(p, 60)));
    const x = other.x as unknown[][];
    return {keys: keysOf(tensors), shared: x[0] === x[1], depth: arrayDepth(x)};
  },
  // 2: d(i+1) = {a: d(i), b: d(i)}: 2^levels keys.
  'memo-shared dicts (PyTorch file, 18 levels)': () => keysOf(loadStateDict(hostileFixture('shared.pt'))),
  'memo-shared dicts (hand-made, 24 levels, a tensor at each leaf)': () => {
    const p = new Pickle().emptyDict().mark().str('w').tensor('0', 1, [1], [1]).setItems().put(0)
        .op(0x30);
    for (let i = 1; i <= 24; i++) {
      p.emptyDict().mark().str('a').get(i - 1).str('b').get(i - 1).setItems().put(i).op(0x30);
    }
    return keysOf(loadStateDict(torchFile(p.get(24).stop(), {'0': f32([1])})));
  },
  // 3: a zip64 end of directory claiming 2^32 − 1 entries, the last comment past the end.
  'zip64 entry count': () => {
    const pkl = new Pickle().emptyDict().stop();
    return keysOf(loadStateDict(torchFile(pkl, {}, [], {zip64Entries: 2n ** 32n - 1n,
                                                       lastCommentLength: 0xffff})));
  },
  'end of directory claiming 65535 entries': () =>
      keysOf(loadStateDict(torchFile(new Pickle().emptyDict().stop(), {}, [], {entries: 65534}))),
  // 4: stride-0 views: 2^31 elements of one float; eight 2^28 views of one float (8 GiB).
  'stride-0 view of 2^31 elements': () => keysOf(loadStateDict(torchFile(
      new Pickle().emptyDict().str('w').tensor('0', 1, [2 ** 31], [0]).setItem().stop(),
      {'0': f32([1])}))),
  'eight stride-0 views of 2^28 elements': () => {
    const p = new Pickle().emptyDict().mark();
    for (let i = 0; i < 8; i++) p.str(`w${i}`).tensor('0', 1, [2 ** 28], [0]);
    return keysOf(loadStateDict(torchFile(p.setItems().stop(), {'0': f32([1])})));
  },
  // 5: records nothing references are never inflated (junk claiming 1 GiB each).
  'four unreferenced records claiming 1 GiB': () => {
    const pkl = new Pickle().emptyDict().str('w').tensor('0', 2, [2], [1]).setItem().stop();
    const junk = [1, 2, 3, 4].map(i => ({name: `archive/data/junk${i}`,
                                         data: new Uint8Array(4096).fill(0xff), method: 8,
                                         size: 2 ** 30}));
    return keysOf(loadStateDict(torchFile(pkl, {'0': f32([1, 2])}, junk)));
  },
  'a record inflating past its declared size': () => {
    const pkl = new Pickle().emptyDict().str('w').tensor('0', 2, [2], [1]).setItem().stop();
    const bomb = deflateSync(new Uint8Array(16 * 2 ** 20));  // 16 MiB of zeros, ~16 KB
    return keysOf(loadStateDict(torchFile(pkl, {}, [
      {name: 'archive/data/0', data: bomb, method: 8, size: 8}])));
  },
  // 6: a safetensors header listing 150,000 empty tensors.
  'safetensors with 150,000 tensors': () => {
    const parts: string[] = [];
    for (let i = 0; i < 150000; i++) parts.push(`"t${i}":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}`);
    return keysOf(loadSafetensors(safetensorsText(`{${parts.join(',')}}`)));
  },
  // 16: deep nesting and a long APPENDS, without recursion.
  'a 10^6-deep list': () => loadTorchFile(withValue(p => {
    for (let i = 0; i < 1e6; i++) p.emptyList();
    for (let i = 1; i < 1e6; i++) p.append();
  })).other.x === undefined,
  'a 10^6-deep list, maxDepth raised': () => {
    const {tensors, other} = loadTorchFile(withValue(p => {
      for (let i = 0; i < 1e6; i++) p.emptyList();
      for (let i = 1; i < 1e6; i++) p.append();
    }), {maxDepth: 2e6});
    return {keys: keysOf(tensors), depth: arrayDepth(other.x)};
  },
  'a 10^6-deep tuple': () => loadTorchFile(withValue(p => {
    p.op(0x29);  // EMPTY_TUPLE
    for (let i = 1; i < 1e6; i++) p.op(0x85);  // TUPLE1
  })).other.x === undefined,
  // (500,000: each level holds two stack slots, and the stack's own limit is 2^20.)
  'a 500,000-deep dict': () => {
    const p = new Pickle().emptyDict();
    for (let i = 0; i < 5e5; i++) p.str('k').emptyDict();
    for (let i = 0; i < 5e5; i++) p.setItem();
    return keysOf(loadStateDict(torchFile(p.stop(), {})));
  },
  'one APPENDS of 10^6 items': () => {
    const {tensors, other} = loadTorchFile(withValue(p => {
      p.emptyList().mark();
      for (let i = 0; i < 1e6; i++) p.int(i);
      p.appends();
    }));
    const x = other.x as number[];
    return {keys: keysOf(tensors), length: x.length, last: x[x.length - 1]};
  },
  'a list that contains itself': () => loadTorchFile(withValue(p => {
    p.emptyList().put(0).get(0).append();
  })).other.x === undefined,
  'a dict that contains itself': () => {
    const p = new Pickle().emptyDict().put(0).str('self').get(0).setItem();
    return keysOf(loadStateDict(torchFile(p.stop(), {})));
  },
};
