const { NxAppWebpackPlugin } = require('@nx/webpack/app-plugin');
const TerserPlugin = require('terser-webpack-plugin');
const {
  ContextReplacementPlugin,
  IgnorePlugin,
  NormalModuleReplacementPlugin,
} = require('webpack');
const { join } = require('path');

// The inferred `build` target runs with NODE_ENV=production unless `--configuration=development` (serve).
const production = process.env.NODE_ENV !== 'development';

/**
 * Packages that Nest, its Fastify adapter and Terminus `require` lazily, only when a feature asks for them.
 * We use none of them: when one is not installed, the require is dropped from the bundle (calling it throws
 * MODULE_NOT_FOUND at run time, which is what those libraries expect and handle). When one IS installed, it is
 * bundled like any other dependency, so adding a real dependency never silently breaks the image.
 * Pattern from https://docs.nestjs.com/faq/serverless#example-integration (webpack section).
 */
const lazyPackages = new Set([
  '@nestjs/microservices',
  '@nestjs/websockets',
  '@nestjs/platform-express',
  '@nestjs/swagger',
  '@nestjs/axios',
  '@nestjs/typeorm',
  '@nestjs/mongoose',
  '@nestjs/sequelize',
  '@mikro-orm/core',
  '@prisma/client',
  '@grpc/grpc-js',
  '@grpc/proto-loader',
  '@fastify/static',
  '@fastify/view',
  'class-transformer',
  'class-validator',
  'typeorm',
  'mongoose',
  'sequelize',
]);

/** '@scope/name/deep/path' -> '@scope/name'; 'name/deep' -> 'name'. */
const packageOf = (request) =>
  request
    .split('/')
    .slice(0, request.startsWith('@') ? 2 : 1)
    .join('/');

const resolvable = (request) => {
  try {
    require.resolve(request, { paths: [__dirname] });
    return true;
  } catch {
    return false;
  }
};

/** Nx's minimizer keeps class names only; Nest and Fastify plugins also read function names. */
class KeepNamesMinimizer {
  apply(compiler) {
    compiler.options.optimization.minimizer = [
      new TerserPlugin({
        extractComments: false,
        terserOptions: {
          ecma: 2022,
          keep_classnames: true,
          keep_fnames: true,
          // ASCII only: V8 keeps a script's source in memory, at two bytes a character if any is not Latin-1.
          format: { comments: false, ascii_only: true },
        },
      }),
    ];
  }
}

module.exports = {
  // Known `require(variable)` sites of the lazy loaders above: they become empty contexts (a call throws
  // MODULE_NOT_FOUND, which the callers catch), so webpack's "Critical dependency" warning about them is noise.
  ignoreWarnings: [
    {
      module: /node_modules[\\/](@nestjs[\\/](common|core|terminus)|load-esm)[\\/]/,
      message: /Critical dependency: the request of a dependency is an expression/,
    },
  ],
  module: {
    rules: [
      {
        test: /@nestjs[\\/]common[\\/]services[\\/](console-)?logger\.service\.js$/,
        loader: join(__dirname, 'webpack/defer-intl-loader.cjs'),
      },
    ],
  },
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
      tsConfig: './tsconfig.app.json',
      outputHashing: 'none',
      // Production: one self-contained main.js (every node_module bundled, so the image needs no
      // node_modules), minified, without source maps, plus the third-party licence notices it carries.
      // Development (`nx serve`): dependencies stay external and source maps on, for fast rebuilds.
      externalDependencies: production ? 'none' : 'all',
      optimization: production,
      sourceMap: !production,
      extractLicenses: production,
      generatePackageJson: true,
    }),
    ...(production ? [new KeepNamesMinimizer()] : []),
    // Terminus' checkPackages() does `require(`${module}`)`, which webpack turns into a context over
    // its own dist/utils folder (.d.ts and .map files included, which fail to parse): make it empty.
    new ContextReplacementPlugin(/@nestjs[\\/]terminus[\\/]dist[\\/]utils$/, /^$/),
    // zod's CommonJS entry loads every translation of its error messages (40-odd languages, a quarter
    // of its size) for the `z.locales` namespace; we use its default English messages only.
    new NormalModuleReplacementPlugin(
      /zod[\\/]v4[\\/]locales[\\/]index\.cjs$/,
      join(__dirname, 'webpack/no-zod-locales.cjs'),
    ),
    new IgnorePlugin({
      checkResource: (resource) => lazyPackages.has(packageOf(resource)) && !resolvable(resource),
    }),
  ],
};
