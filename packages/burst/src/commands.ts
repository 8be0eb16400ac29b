/**
 * The command ids of @mlinfn/burst.
 */
export namespace CommandIDs {
  /**
   * "Run Cell on…": the form for the active cell (args: `backend` to preselect one).
   */
  export const runCell = 'mlinfn-burst:run-cell';

  /**
   * Open the Jobs panel (args: `id` to select a job).
   */
  export const openJobs = 'mlinfn-burst:open-jobs';

  /**
   * Open a job's log in a main-area tab (args: `id`).
   */
  export const openLog = 'mlinfn-burst:open-log';

  /**
   * Cancel a job (args: `id`).
   */
  export const cancel = 'mlinfn-burst:cancel';

  /**
   * Send a job's cell again (args: `id`).
   */
  export const resubmit = 'mlinfn-burst:resubmit';

  /**
   * Open a job's notebook at its cell (args: `id`).
   */
  export const openCell = 'mlinfn-burst:open-cell';

  /**
   * A new notebook whose cells go to a backend (args: `backend`, `cwd`): the launcher tiles.
   */
  export const newNotebook = 'mlinfn-burst:new-notebook';
}
