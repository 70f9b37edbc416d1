// @ts-check
'use strict';
/**
 * The production entry point, `node main.js`: runs the webpack bundle `app.js` with V8's code cache
 * `app.js.cache`, so that a new process does not parse and compile the whole bundle again.
 *
 * The cache holds the bytecode of every function that ran while the app started and served each route
 * once; `node main.js --write-code-cache` makes it (`nx run api:code-cache` does, and so does the image with
 * its own Node.js). Node's built-in `module.enableCompileCache()` would be simpler, but it keeps only what
 * was compiled while the file loaded, not the functions compiled later as the app starts (tools/bench/README.md
 * compares the two). V8 accepts a cache only from the same V8 version, flags and source; otherwise this warns
 * and compiles as if there were no cache, which is slower and otherwise the same.
 * A cache holds code, not data: no configuration value or secret of the run that wrote it.
 *
 * `node main.js --check-code-cache` asks V8 whether it accepts the cache beside it for this Node.js and flags:
 * one JSON line, exit 0 only when it does.
 */
const { isAscii } = require('node:buffer');
const { readFileSync, renameSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { join } = require('node:path');
const vm = require('node:vm');

const APP = join(__dirname, 'app.js');
const CACHE = `${APP}.cache`;
/** Paths requested once while writing the cache, so that the request path is in it too. */
const WARM_PATHS = ['/', '/config', '/healthz', '/readyz', '/metrics', '/no-such-route'];
const READY_TIMEOUT_MS = 30_000;

/**
 * One JSON line in the shape of the app's own (pino) log lines.
 * @param {'info' | 'warn' | 'fatal'} level
 * @param {string} msg
 */
function log(level, msg, fields = {}) {
  process.stdout.write(
    `${JSON.stringify({ level, time: new Date().toISOString(), ...fields, msg })}\n`,
  );
}

/** The bundle's text; decoded as Latin-1 when it is ASCII (the build makes it so), which V8 keeps at one
 * byte a character, where UTF-8 decoding would keep two. */
function appSource() {
  const bytes = readFileSync(APP);
  return bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8');
}

/** @param {Buffer | undefined} cachedData */
function compile(cachedData) {
  // The CommonJS wrapper on a line of its own, and lineOffset -1: stack traces keep app.js' line numbers.
  const source = `(function (exports, require, module, __filename, __dirname) {\n${appSource()}\n})`;
  return new vm.Script(source, {
    filename: APP,
    lineOffset: -1,
    cachedData,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
}

/** @param {vm.Script} script */
function execute(script) {
  const module = { id: '.', filename: APP, exports: {} };
  script.runInThisContext()(module.exports, createRequire(APP), module, APP, __dirname);
}

function readCache() {
  try {
    return readFileSync(CACHE);
  } catch (error) {
    if (/** @type {NodeJS.ErrnoException} */ (error).code === 'ENOENT') return undefined;
    throw error;
  }
}

function run() {
  const cachedData = readCache();
  const script = compile(cachedData);
  if (cachedData && script.cachedDataRejected) {
    log(
      'warn',
      `${CACHE} was written by another Node.js or with other V8 flags: starting without it, more slowly. Rewrite it with \`node ${join(__dirname, 'main.js')} --write-code-cache\` using this Node.js and flags.`,
      { node: process.version },
    );
  }
  execute(script);
}

/** A port nobody listens on right now, on loopback. */
async function freePort() {
  const { createServer } = require('node:net');
  const server = createServer();
  await new Promise((resolve, reject) =>
    server.once('error', reject).listen(0, '127.0.0.1', () => resolve(undefined)),
  );
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (!address || typeof address === 'string') throw new Error('no TCP port for the warm-up run');
  return address.port;
}

/**
 * @param {number} port
 * @param {string} path
 * @returns {Promise<number>} the status code, or 0 when nothing answered
 */
function status(port, path) {
  const { get } = require('node:http');
  return new Promise((resolve) => {
    const request = get({ host: '127.0.0.1', port, path, timeout: 2000 }, (response) => {
      response.resume().once('end', () => resolve(response.statusCode ?? 0));
    });
    request.once('timeout', () => request.destroy()).once('error', () => resolve(0));
  });
}

/** Starts the app on loopback in dev mode (no secrets needed), requests every route once, saves the cache. */
async function writeCodeCache() {
  const port = await freePort();
  Object.assign(process.env, { HOST: '127.0.0.1', PORT: String(port), APP_ENV: 'dev' });
  log('info', `writing ${CACHE}: starting the app once in dev mode on 127.0.0.1:${port}`);
  const script = compile(undefined);
  execute(script);
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while ((await status(port, '/readyz')) !== 200) {
    if (Date.now() > deadline)
      throw new Error(`the app was not ready on /readyz within ${READY_TIMEOUT_MS / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  for (const path of WARM_PATHS) await status(port, path);
  // Written beside and renamed: a reader sees the old cache or the new one, never half of one.
  const partial = `${CACHE}.${process.pid}.partial`;
  const data = script.createCachedData();
  writeFileSync(partial, data);
  renameSync(partial, CACHE);
  log(
    'info',
    `wrote ${CACHE} (${Math.round(data.length / 1024)} KiB) for Node.js ${process.version}`,
  );
  process.exit(0);
}

/** Compiles app.js with the cache as a start would, without running it, and reports V8's verdict. */
function checkCodeCache() {
  const cachedData = readCache();
  const accepted = cachedData !== undefined && compile(cachedData).cachedDataRejected === false;
  const verdict = cachedData === undefined ? 'missing' : accepted ? 'accepted' : 'rejected';
  const msg = cachedData === undefined ? `no code cache at ${CACHE}` : `${CACHE}: ${verdict} by V8`;
  log(accepted ? 'info' : 'warn', msg, {
    codeCache: verdict,
    node: process.version,
  });
  process.exitCode = accepted ? 0 : 1;
}

if (process.argv[2] === '--check-code-cache') {
  checkCodeCache();
} else if (process.argv[2] === '--write-code-cache') {
  writeCodeCache().catch((error) => {
    log('fatal', `could not write ${CACHE}: ${error instanceof Error ? error.message : error}`);
    process.exit(1);
  });
} else {
  run();
}
