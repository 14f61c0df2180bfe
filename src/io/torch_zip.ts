/**
 * Reading `torch.save(state_dict)` files (PyTorch ≥ 1.6's zip format: `<name>/data.pkl`, the
 * pickled structure, and `<name>/data/<key>`, one raw little-endian storage per key) with no
 * Python: fflate for the zip, our restricted unpickler for data.pkl.
 */
import {NamedTensorMap, tensor} from '@tensorflow/tfjs-core';
import {unzipSync, UnzipFileInfo} from 'fflate';
import {checkedNumel, DTYPES, gather, STORAGE_DTYPE} from './dtypes.js';
import {PyDict, PyValue, StorageRef, TensorRef, unpickle} from './pickle.js';

export interface TorchLoadOptions {
  /** Refuse zip entries that would decompress past this many bytes (default 1 GiB). */
  maxEntryBytes?: number;
}

/** What a torch.save file held: its tensors (flattened keys) and any non-tensor values. */
export interface TorchFileContents {
  tensors: NamedTensorMap;
  /** Non-tensor leaves (e.g. a checkpoint's `epoch`), by flattened key. */
  other: Record<string, unknown>;
}

function fail(msg: string): never {
  throw new Error(`torch.load: ${msg}`);
}

function isTensorRef(v: unknown): v is TensorRef {
  return typeof v === 'object' && v != null && (v as TensorRef).kind === 'tensor';
}

/** Plain JS for non-tensor leaves. */
function toPlain(v: PyValue): unknown {
  if (v instanceof PyDict) return Object.fromEntries([...v.entries].map(([k, x]) => [k, toPlain(x)]));
  if (Array.isArray(v)) return v.map(toPlain);
  if (typeof v === 'object' && v != null && 'kind' in v && v.kind === 'tuple') {
    return v.items.map(toPlain);
  }
  return v;
}

function flatten(v: PyValue, prefix: string, tensors: Map<string, TensorRef>,
                 other: Record<string, unknown>, depth = 0) {
  if (depth > 32) fail('nesting too deep');
  if (v instanceof PyDict) {
    for (const [k, x] of v.entries) {
      flatten(x, prefix === '' ? String(k) : `${prefix}.${String(k)}`, tensors, other, depth + 1);
    }
  } else if (isTensorRef(v)) {
    tensors.set(prefix, v);
  } else {
    other[prefix] = toPlain(v);
  }
}

/** `torch.load` of a zip-format file, restricted to tensors and plain data. */
export function loadTorchFile(data: Uint8Array|ArrayBuffer, options: TorchLoadOptions = {}):
    TorchFileContents {
  const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : data;
  if (!(bytes instanceof Uint8Array)) fail('expected a Uint8Array or ArrayBuffer');
  if (bytes.length < 4 || bytes[0] !== 0x50 || bytes[1] !== 0x4b) {
    fail(bytes.length >= 2 && bytes[0] === 0x80 ?
             'this is a legacy (pre-1.6, non-zip) torch.save file, which is not supported; ' +
                 're-save it with a recent PyTorch' :
             'not a zip file (torch.save files start with "PK")');
  }
  const maxBytes = options.maxEntryBytes ?? 2 ** 30;
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, {
      filter(f: UnzipFileInfo) {
        if (f.compression !== 0 && f.compression !== 8) {
          throw new Error(`entry '${f.name}' uses unsupported compression ${f.compression}`);
        }
        if (f.originalSize > maxBytes || (f.compression === 0 && f.originalSize > bytes.length)) {
          throw new Error(`entry '${f.name}' claims ${f.originalSize} bytes, more than allowed`);
        }
        return true;
      },
    });
  } catch (e) {
    fail(`corrupt or unsupported zip: ${(e as Error).message}`);
  }
  const pklName = Object.keys(files).find(n => /^[^/]*\/?data\.pkl$/.test(n));
  if (pklName == null) fail('no data.pkl in the archive: not a torch.save file');
  const prefix = pklName.slice(0, pklName.length - 'data.pkl'.length);
  const order = files[`${prefix}byteorder`];
  if (order != null && new TextDecoder().decode(order).trim() !== 'little') {
    fail('big-endian torch.save files are not supported');
  }
  const root = unpickle(files[pklName]);
  const refs = new Map<string, TensorRef>();
  const other: Record<string, unknown> = {};
  flatten(root, '', refs, other);

  // Validate every tensor against its storage before creating any.
  const arrays: Array<[string, TensorRef, ReturnType<typeof gather>]> = [];
  for (const [name, t] of refs) {
    const s: StorageRef = t.storage;
    const dt = DTYPES[STORAGE_DTYPE[s.storageType]];
    const raw = files[`${prefix}data/${s.key}`];
    if (raw == null) fail(`tensor '${name}': storage data/${s.key} is missing from the archive`);
    if (raw.length !== s.numel * dt.itemSize) {
      fail(`tensor '${name}': storage data/${s.key} has ${raw.length} bytes, expected ` +
          `${s.numel} × ${dt.itemSize}`);
    }
    const numel = checkedNumel(t.size, `torch.load: tensor '${name}'`);
    if (numel > 0) {
      const last = t.offset + t.size.reduce((acc, n, i) => acc + (n - 1) * t.stride[i], 0);
      if (last >= s.numel) {
        fail(`tensor '${name}' (size [${t.size.join(', ')}], stride [${t.stride.join(', ')}], ` +
            `offset ${t.offset}) reaches past its storage of ${s.numel} elements`);
      }
    }
    try {
      arrays.push([name, t, gather(raw, dt, t.size, t.stride, t.offset)]);
    } catch (err) {
      fail(`tensor '${name}': ${(err as Error).message}`);
    }
  }
  const tensors: NamedTensorMap = {};
  for (const [name, t, values] of arrays) {
    tensors[name] = tensor(values, t.size, DTYPES[STORAGE_DTYPE[t.storage.storageType]].target);
  }
  return {tensors, other};
}
