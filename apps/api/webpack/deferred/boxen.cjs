// Stands in for boxen (and chalk, wrap-ansi, camelcase) in Terminus' pretty error logger (see
// ../bundle.cjs): loaded the first time a failed health check is logged that way.
module.exports = (text, options) => require('boxen')(text, options);
