// Stands in for @fastify/fast-json-stringify-compiler in fastify/lib/schema-controller.js (see
// ../bundle.cjs): its compiler is needed only for a route that declares a response schema.
module.exports = function SerializerSelector(...selectorArgs) {
  let buildSerializer;
  return function buildSerializerOnFirstUse(externalSchemas, serializerOptions) {
    buildSerializer ??= require('@fastify/fast-json-stringify-compiler')(...selectorArgs);
    return buildSerializer(externalSchemas, serializerOptions);
  };
};
