// Command-line options of `npm run bench`, read with util.parseArgs in strict mode: an unknown option or a
// missing value stops the run with the usage.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO } from './proc.mjs';

export const USAGE = `usage: node tools/bench/run.mjs [options]
  --rounds N     load rounds per route and server (3; --quick: 1)
  --duration S   seconds per load run (5; --quick: 2)
  --warmup S     warm-up seconds per route and server (2; --quick: 1)
  --spawns N     spawn-to-ready samples per server (7; --quick: 3)
  --quick        short settings, for trying the harness
  --skip-build   use the built bundles in dist/ (the plain NestJS reference is built if missing)
  --skip-synth   leave out the synth timings
  --node PATH    the Node.js that runs the API, the plain NestJS app and the ceiling (default: the image's
                 Node 22, from the toolchain: tools/toolchain/ensure.sh node22)
  --help         this text`;

const NUMERIC = ['rounds', 'duration', 'warmup', 'spawns'];

/** @returns the settings, or throws an Error whose message names the bad option and shows the usage */
export function readOptions(argv = process.argv.slice(2)) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        ...Object.fromEntries(NUMERIC.map((name) => [name, { type: 'string' }])),
        node: { type: 'string' },
        quick: { type: 'boolean', default: false },
        'skip-build': { type: 'boolean', default: false },
        'skip-synth': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    throw new Error(`${error.message}\n${USAGE}`);
  }
  if (values.help) return { help: true };
  const number = (name, fallback) => {
    if (values[name] === undefined) return fallback;
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n <= 0)
      throw new Error(`--${name} needs a positive whole number, got '${values[name]}'\n${USAGE}`);
    return n;
  };
  const quick = values.quick;
  const duration = number('duration', quick ? 2 : 5);
  return {
    rounds: number('rounds', quick ? 1 : 3),
    duration,
    warmup: number('warmup', quick ? 1 : 2),
    spawns: number('spawns', quick ? 3 : 7),
    // The Flask development server is two orders of magnitude slower: one short round places it.
    flaskRounds: 1,
    flaskDuration: Math.min(3, duration),
    flaskWarmup: 1,
    node: values.node ?? imageNode(),
    build: !values['skip-build'],
    synth: !values['skip-synth'],
  };
}

/** The image's runtime (Node 22, cached by the toolchain): what production runs is what the budget judges. */
function imageNode() {
  const ensure = join(REPO, 'tools', 'toolchain', 'ensure.sh');
  execFileSync(ensure, ['node22'], { stdio: ['ignore', 'ignore', 'inherit'] });
  return join(execFileSync(ensure, ['--paths', 'node22'], { encoding: 'utf8' }).trim(), 'node');
}
