/**
 * Loads `@tensorflow/tfjs-node` (or `-gpu`) when it is installed, for the suites that run on the
 * real `tensorflow` backend. It is an optional peer dependency: its install script downloads
 * libtensorflow, which CI machines without network access cannot do.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface TfjsNodeStatus {available: boolean; reason: string}

const PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'];

export async function loadTfjsNode(): Promise<TfjsNodeStatus> {
  const failures: string[] = [];
  for (const name of PACKAGES) {
    try {
      await import(name);  // a variable specifier: no types needed when it is absent
    } catch (e) {
      failures.push(`${name}: ${(e as Error).message.split('\n')[0]}`);
      continue;
    }
    if (tf.findBackendFactory('tensorflow') == null) {
      return {available: false, reason: `${name} loaded, but registered its 'tensorflow' ` +
          `backend with another copy of @tensorflow/tfjs-core than this package's (dedupe ` +
          `@tensorflow/tfjs-core)`};
    }
    return {available: true, reason: `${name} loaded`};
  }
  return {available: false, reason: `neither tfjs-node package could be imported (` +
      `${failures.join('; ')})`};
}
