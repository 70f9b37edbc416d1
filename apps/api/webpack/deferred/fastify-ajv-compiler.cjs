// Stands in for @fastify/ajv-compiler in fastify/lib/schema-controller.js (see ../bundle.cjs).
// Fastify builds its default validator compiler (ajv, ajv-formats, fast-uri) when it is constructed;
// it is called only for a route that declares a schema. This one loads it on that first call.
module.exports = function ValidatorSelector(...selectorArgs) {
  let buildValidator;
  return function buildValidatorOnFirstUse(externalSchemas, ajvOptions) {
    buildValidator ??= require('@fastify/ajv-compiler')(...selectorArgs);
    return buildValidator(externalSchemas, ajvOptions);
  };
};
