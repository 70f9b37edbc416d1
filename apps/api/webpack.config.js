const { NxAppWebpackPlugin } = require('@nx/webpack/app-plugin');
const { join } = require('path');
const { bundleConfig } = require('./webpack/bundle.cjs');

// The inferred `build` target runs with NODE_ENV=production unless `--configuration=development` (serve).
const production = process.env.NODE_ENV !== 'development';
const bundle = bundleConfig(production);

module.exports = {
  ignoreWarnings: [
    ...bundle.ignoreWarnings,
    // ws (in secret-restarter.js, through @kubernetes/client-node) tries its optional native helpers and
    // falls back to JavaScript when they are absent, as here.
    { module: /node_modules[\\/]ws[\\/]/, message: /Can't resolve '(bufferutil|utf-8-validate)'/ },
  ],
  module: bundle.module,
  output: {
    path: join(__dirname, '../../dist/apps/api'),
    clean: true,
    ...(!production && {
      devtoolModuleFilenameTemplate: '[absolute-resource-path]',
    }),
  },
  plugins: [
    new NxAppWebpackPlugin({
      target: 'node',
      compiler: 'tsc',
      main: './src/main.ts',
      // The image's second program: rolls the Deployment when its synced Secret changes (prod with ESO).
      additionalEntryPoints: [
        { entryName: 'secret-restarter', entryPath: './src/secret-restarter/main.ts' },
      ],
      tsConfig: './tsconfig.app.json',
      outputHashing: 'none',
      // Production: one self-contained app.js (every node_module bundled, so the image needs no
      // node_modules), minified, without source maps, plus the third-party licence notices it carries;
      // main.js runs it (CodeCacheLauncher in webpack/bundle.cjs).
      // Development (`nx serve`): dependencies stay external and source maps on, for fast rebuilds.
      externalDependencies: production ? 'none' : 'all',
      optimization: production,
      sourceMap: !production,
      extractLicenses: production,
      generatePackageJson: true,
    }),
    ...bundle.plugins,
  ],
};
