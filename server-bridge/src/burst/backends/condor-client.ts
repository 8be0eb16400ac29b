/**
 * burst/htcondor: what the backend needs from a link to the pool, whichever it is: the
 * long-lived bindings helper (condor-helper.ts, the default) or the command-line tools
 * (condor-cli.ts, `client: "cli"`). Both take the same operations and give the same answers:
 *
 *   submit  {description}                 -> {cluster, schedd}   (submitted and spooled)
 *   query   {constraint, projection}      -> {ads}               (the queue)
 *   history {constraint, projection, match} -> {ads}
 *   act     {action: remove|hold|release, constraint, reason} -> {result: {TotalSuccess...} | null}
 *   retrieve {constraint}                 -> {}                  (output sandbox into the initialdir)
 *   events  {path}                        -> {events}            (a job event log file)
 */

/** The operations of {@link ICondorClient.call}. */
export type CondorOp =
  | 'submit'
  | 'query'
  | 'history'
  | 'act'
  | 'retrieve'
  | 'events'
  | 'ping'
  | 'locate';

/** A link to the pool. */
export interface ICondorClient {
  /**
   * One operation; resolves with its answer.
   *
   * @throws CondorError with the pool's (or the tool's) message.
   */
  call<T = any>(
    op: CondorOp,
    args?: Record<string, unknown>,
    timeoutMs?: number
  ): Promise<T>;
  close(): Promise<void>;
}
