// Shared set-up of the end-to-end tests: a private FOUNDRY_HOME per test, our build's `foundry`
// first on PATH, a model mirror (a folder or a real HTTP server over ../shared/models/real), and
// `foundry service stop` at the end whatever happened.
//
// Environment (set by CTest, see tests/CMakeLists.txt): FOUNDRY_BIN (the built binary),
// FOUNDRY_SHARED (the reference data folder, default ../../../shared from here).

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

export const foundryBin = process.env.FOUNDRY_BIN || path.resolve(here, '../../build/src/foundry');
export const sharedDir = process.env.FOUNDRY_SHARED || path.resolve(here, '../../../shared');
export const modelsDir = path.join(sharedDir, 'models/real');

if (!fs.existsSync(foundryBin)) throw new Error(`no foundry binary at ${foundryBin} (build it, or set FOUNDRY_BIN)`);
if (!fs.existsSync(path.join(here, 'node_modules'))) {
  throw new Error(`tests/e2e/node_modules is missing: run scripts/setup.sh (it runs npm ci in tests/e2e)`);
}

// Serves the files of `dir` over HTTP on 127.0.0.1 (any free port); resolves to { url, close }.
export function startHttpMirror(dir) {
  const server = http.createServer((req, res) => {
    const name = decodeURIComponent(new URL(req.url, 'http://x').pathname).replace(/^\/+/, '');
    const file = path.join(dir, name);
    if (name.includes('/') || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'Content-Length': fs.statSync(file).size, 'Content-Type': 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        url: `http://127.0.0.1:${server.address().port}`,
        close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }),
      });
    });
  });
}

// Points this process (and so every `foundry` the SDK spawns) at a fresh FOUNDRY_HOME whose
// service listens on a free port. Returns { home, cacheDir, foundry(args), cleanup() }.
export function freshFoundryHome(mirror) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'foundry-e2e-'));
  // Port 0: the OS picks a free port, so parallel tests (and other services) never collide.
  fs.writeFileSync(path.join(home, 'settings.json'), JSON.stringify({ serviceSettings: { host: '127.0.0.1', port: 0 } }));
  process.env.FOUNDRY_HOME = home;
  process.env.FOUNDRY_MODEL_MIRROR = mirror;
  const binDir = path.dirname(foundryBin);
  if (!process.env.PATH.startsWith(binDir + path.delimiter)) process.env.PATH = binDir + path.delimiter + process.env.PATH;
  const foundry = (...args) => execFileSync(foundryBin, args, { env: process.env, encoding: 'utf8' });
  return {
    home,
    cacheDir: path.join(home, 'cache', 'models'),
    foundry,
    cleanup() {
      try {
        foundry('service', 'stop');
      } finally {
        fs.rmSync(home, { recursive: true, force: true });
      }
    },
  };
}
