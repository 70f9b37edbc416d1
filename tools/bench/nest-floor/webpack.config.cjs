// @ts-check
'use strict';
/**
 * Builds ./main.cjs into dist/bench/nest-floor the way the API's production build bundles the API:
 * the same module rules, minifier and code-cache launcher (apps/api/webpack/bundle.cjs), so that the
 * two bundles differ only in the application code.
 *   npx webpack --config tools/bench/nest-floor/webpack.config.cjs
 */
const { resolve } = require('node:path');
const { bundleConfig } = require('../../../apps/api/webpack/bundle.cjs');

const bundle = bundleConfig(true);

/** @type {import('webpack').Configuration} */
module.exports = {
  mode: 'production',
  target: 'node',
  context: __dirname,
  entry: { main: './main.cjs' },
  output: {
    path: resolve(__dirname, '../../../dist/bench/nest-floor'),
    filename: '[name].js',
    clean: true,
  },
  // As Nx's node target: __dirname and __filename are the bundle's own.
  node: { __dirname: false, __filename: false },
  ignoreWarnings: bundle.ignoreWarnings,
  module: bundle.module,
  plugins: bundle.plugins,
};
