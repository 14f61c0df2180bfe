// Finds a Chromium/Chrome binary for karma: $CHROME_BIN, else `chromium`, `chromium-browser`,
// `google-chrome`, `google-chrome-stable` on PATH. Exits with install instructions when none.
import {accessSync, constants} from 'node:fs';
import {delimiter, join} from 'node:path';

const NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

function onPath(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return null;
}

/** The browser binary to use, or throws an Error that says how to install one. */
export function findChrome() {
  const fromEnv = process.env.CHROME_BIN;
  if (fromEnv) {
    try {
      accessSync(fromEnv, constants.X_OK);
      return fromEnv;
    } catch {
      throw new Error(`CHROME_BIN is set to ${fromEnv}, which is not an executable file.`);
    }
  }
  for (const name of NAMES) {
    const file = onPath(name);
    if (file) return file;
  }
  throw new Error('The browser tests need Chromium or Chrome, and none was found (looked at ' +
      `$CHROME_BIN and for ${NAMES.join(', ')} on PATH). On Debian/Ubuntu install it with:\n` +
      '    apt-get update && apt-get install -y chromium\n' +
      'or point CHROME_BIN at a Chrome/Chromium binary.');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    console.log(findChrome());
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
}
