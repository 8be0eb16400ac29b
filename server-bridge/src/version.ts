/** The bridge's version, from its package.json (inlined by the bundler). */
import pkg from '../package.json';

/** The version string every health and identity answer carries. */
export const VERSION: string = pkg.version;
