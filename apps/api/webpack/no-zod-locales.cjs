// Stands in for zod's `z.locales` namespace in the production bundle (see bundle.cjs). The
// English messages zod uses by default are imported separately and stay.
module.exports = {};
