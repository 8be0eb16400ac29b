// Moved to bench/lib/proc.mjs (shared with the other benchmarks); re-exported here for the
// monitor modules that still import it from this folder.
export * from '../lib/proc.mjs';
