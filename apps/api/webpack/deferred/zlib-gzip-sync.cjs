// Stands in for node:zlib in prom-client's Pushgateway (see ../bundle.cjs), which takes only
// gzipSync from it, to compress pushed metrics: zlib is loaded the first time a push is gzipped.
exports.gzipSync = (...args) => require('node:zlib').gzipSync(...args);
