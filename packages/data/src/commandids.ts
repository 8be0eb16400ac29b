/**
 * The ids of the Data panel's commands.
 */
export namespace CommandIDs {
  /** Show the Data panel. */
  export const open = 'mlinfn-data:open';
  /** Fetch endpoints, listing, cache and mounts again. */
  export const refresh = 'mlinfn-data:refresh';
  /** Upload files into the folder being browsed (File ▸ Upload to storage…). */
  export const upload = 'mlinfn-data:upload';
  /** A pre-signed GET or PUT link with a chosen expiry (a dialog). */
  export const link = 'mlinfn-data:link';
  /** Copy a pre-signed GET link of the default expiry. */
  export const copyLink = 'mlinfn-data:copy-link';
  /** Stage the selected object into the cache. */
  export const stage = 'mlinfn-data:stage';
  /** Insert a cell that reads the selected object (args: `source` staged|url; or `path`). */
  export const insertSnippet = 'mlinfn-data:insert-snippet';
  /** Copy the local path of a cached object (args: `id`). */
  export const copyPath = 'mlinfn-data:copy-path';
  /** Remove an entry from the cache (args: `id`). */
  export const removeCached = 'mlinfn-data:remove-cached';
  /** Open a mount in the file browser (args: `path`). */
  export const openMount = 'mlinfn-data:open-mount';
  /** Log in again (expired OIDC login). */
  export const logIn = 'mlinfn-data:log-in';
}
