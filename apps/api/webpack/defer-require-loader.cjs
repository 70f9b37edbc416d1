// Rewrites `require('<request>')` in a library module into a require of a stand-in from ./deferred,
// which loads the real module the first time it is used (see bundle.cjs). Options map each
// request to its stand-in. If the library stops making that require, the build fails here so that
// the rule is removed rather than left to rot.
const escape = (text) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

module.exports = function deferRequireLoader(source) {
  let result = source;
  for (const [request, stub] of Object.entries(this.getOptions())) {
    const call = new RegExp(`\\brequire\\((['"])${escape(request)}\\1\\)`, 'g');
    if (!call.test(result)) {
      this.emitError(
        new Error(
          `${this.resourcePath} no longer requires '${request}': drop its rule from apps/api/webpack/bundle.cjs`,
        ),
      );
      continue;
    }
    result = result.replace(call, `require(${JSON.stringify(stub)})`);
  }
  return result;
};
