// Stands in for node:http2 and node:https in fastify/lib/server.js, and for https in prom-client's
// Pushgateway (see ../bundle.cjs): Fastify needs them only for its http2 or https options, the
// Pushgateway only to push to an https URL. Each is loaded the first time one of its properties is read.
const loaders = {
  '?http2': () => require('node:http2'),
  '?https': () => require('node:https'),
};
const load = loaders[__resourceQuery];
let real;
module.exports = new Proxy(
  {},
  {
    get: (_target, key) => (real ??= load())[key],
    has: (_target, key) => key in (real ??= load()),
  },
);
