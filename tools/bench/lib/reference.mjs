// The reference servers (tools/bench/reference) and the Python venv that runs the Flask one: pinned by
// reference/requirements.txt and kept under ${SHIPYARD_CACHE:-~/.cache/shipyard}, keyed by that file's hash.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { progress, REPO, run } from './proc.mjs';

export const REFERENCE = join(REPO, 'tools', 'bench', 'reference');
const REQUIREMENTS = join(REFERENCE, 'requirements.txt');
const CACHE =
  process.env.SHIPYARD_CACHE ??
  join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'shipyard');
const hash = createHash('sha256').update(readFileSync(REQUIREMENTS)).digest('hex').slice(0, 12);
export const VENV = join(CACHE, `bench-reference-${hash}`, 'venv');
export const venvBin = (name) => join(VENV, 'bin', name);

export async function ensureVenv() {
  const marker = join(VENV, '.complete');
  if (existsSync(marker)) return;
  progress.say(`installing ${REQUIREMENTS} into ${VENV} (about 20 s)`);
  // Built in place (a venv's scripts name their interpreter by absolute path); the marker makes a half-built
  // venv count as missing.
  rmSync(VENV, { recursive: true, force: true });
  mkdirSync(dirname(VENV), { recursive: true });
  await run('python3', ['-m', 'venv', VENV]);
  await run(venvBin('pip'), ['install', '-q', '--disable-pip-version-check', '-r', REQUIREMENTS]);
  if (!existsSync(venvBin('gunicorn')))
    throw new Error(`gunicorn missing in ${VENV} after install`);
  writeFileSync(marker, `${hash}\n`);
}
