// Nest's Logger and ConsoleLogger each build an Intl.DateTimeFormat when they are imported, for the
// timestamps of console output this service never writes (its logs go through pino). Building one
// loads ICU's locale data, megabytes of resident memory in every process (see tools/bench/README.md).
// This loader makes those formatters build themselves on first use instead. If Nest stops doing this, the build fails here
// so that the rule is removed rather than left to rot.
const CONSTRUCTION = 'new Intl.DateTimeFormat(';

const DEFERRED = `
function __deferredDateTimeFormat(...args) {
  let made;
  const real = () => (made ??= new Intl.DateTimeFormat(...args));
  return new Proxy({}, {
    get(_target, key) {
      const value = real()[key];
      return typeof value === 'function' ? value.bind(real()) : value;
    },
  });
}
`;

module.exports = function deferIntlLoader(source) {
  if (!source.includes(CONSTRUCTION)) {
    this.emitError(
      new Error(
        `${this.resourcePath} no longer builds an Intl.DateTimeFormat at import: drop its rule from apps/api/webpack/bundle.cjs`,
      ),
    );
    return source;
  }
  // Appended, not prepended: the file starts with "use strict", and function declarations hoist.
  return source.replaceAll(CONSTRUCTION, '__deferredDateTimeFormat(') + DEFERRED;
};
