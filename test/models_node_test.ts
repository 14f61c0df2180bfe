// The whole-model parity specs (models_specs.ts) in Node, reading demo/assets from disk.
import {readFile} from 'node:fs/promises';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {describeWholeModels} from './models_specs.js';

const assets = join(dirname(fileURLToPath(import.meta.url)), '..', 'demo', 'assets');
describeWholeModels(async f => new Uint8Array(await readFile(join(assets, f))));
