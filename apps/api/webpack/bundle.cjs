/**
 * How the API is bundled, apart from what Nx's plugin does (webpack.config.js): which requires are
 * dropped or deferred, the minifier, and in production the code-cache launcher. Kept apart so that the
 * benchmark's plain NestJS reference (tools/bench/nest-floor) is bundled exactly the same way.
 */
const TerserPlugin = require('terser-webpack-plugin');
const { ContextReplacementPlugin, IgnorePlugin } = require('webpack');
const { readFileSync } = require('fs');
const { join } = require('path');

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

const LAUNCHER = join(__dirname, '../launcher/main.cjs');

/**
 * Production only: the bundle becomes app.js and main.js is launcher/main.cjs, which runs it with V8's code
 * cache when one lies beside it. The cache is written afterwards by `nx run api:code-cache` (project.json) or,
 * in the image, by the image's own Node.js (Dockerfile): a cache belongs to the Node.js that will read it.
 */
class CodeCacheLauncher {
  apply(compiler) {
    const { Compilation, sources } = compiler.webpack;
    compiler.hooks.thisCompilation.tap(CodeCacheLauncher.name, (compilation) => {
      compilation.hooks.processAssets.tap(
        // After minification, which leaves the launcher alone this way.
        { name: CodeCacheLauncher.name, stage: Compilation.PROCESS_ASSETS_STAGE_SUMMARIZE },
        () => {
          compilation.renameAsset('main.js', 'app.js');
          compilation.fileDependencies.add(LAUNCHER);
          compilation.emitAsset('main.js', new sources.RawSource(readFileSync(LAUNCHER, 'utf8')));
        },
      );
    });
  }
}

const deferred = (name) => join(__dirname, 'deferred', name);

/**
 * Modules that libraries require when they load but use only for features this service does not use,
 * or not before a later request. The loader makes those requires load a stand-in from ./webpack/deferred,
 * which loads the real module on first use: behaviour is unchanged, start-up skips evaluating it.
 */
const deferRequires = (test, stubs) => ({
  test,
  loader: join(__dirname, 'defer-require-loader.cjs'),
  options: stubs,
});

/**
 * @param {boolean} production
 * @returns {Pick<import('webpack').Configuration, 'ignoreWarnings' | 'module'> & { plugins: import('webpack').WebpackPluginInstance[] }}
 */
function bundleConfig(production) {
  return {
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
          loader: join(__dirname, 'defer-intl-loader.cjs'),
        },
        // Fastify's default validator and serializer compilers (ajv, ajv-formats, fast-json-stringify,
        // fast-uri): used only by routes that declare a schema, which none of ours do.
        deferRequires(/fastify[\\/]lib[\\/]schema-controller\.js$/, {
          '@fastify/ajv-compiler': deferred('fastify-ajv-compiler.cjs'),
          '@fastify/fast-json-stringify-compiler': deferred('fastify-serializer-compiler.cjs'),
        }),
        // http2, https (and tls): Fastify's http2/https options; https and zlib: prom-client's Pushgateway.
        deferRequires(/fastify[\\/]lib[\\/]server\.js$/, {
          'node:http2': `${deferred('node-builtin.cjs')}?http2`,
          'node:https': `${deferred('node-builtin.cjs')}?https`,
        }),
        deferRequires(/prom-client[\\/]lib[\\/]pushgateway\.js$/, {
          https: `${deferred('node-builtin.cjs')}?https`,
          zlib: deferred('zlib-gzip-sync.cjs'),
        }),
      ],
    },
    // After Nx's plugin, whose minimizer KeepNamesMinimizer replaces.
    plugins: [
      ...(production ? [new KeepNamesMinimizer(), new CodeCacheLauncher()] : []),
      // Terminus' checkPackages() does `require(`${module}`)`, which webpack turns into a context over
      // its own dist/utils folder (.d.ts and .map files included, which fail to parse): make it empty.
      new ContextReplacementPlugin(/@nestjs[\\/]terminus[\\/]dist[\\/]utils$/, /^$/),
      new IgnorePlugin({
        checkResource: (resource) => lazyPackages.has(packageOf(resource)) && !resolvable(resource),
      }),
    ],
  };
}

module.exports = { bundleConfig };
