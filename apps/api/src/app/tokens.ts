/** The validated configuration of this process, with which secrets were generated. */
export const LOADED_CONFIG = Symbol('LOADED_CONFIG');
