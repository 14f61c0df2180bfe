/** The browser binary to use ($CHROME_BIN, else chromium & co. on PATH), or throws how to install one. */
export function findChrome(): string;
