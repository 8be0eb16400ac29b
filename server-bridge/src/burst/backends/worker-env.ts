/**
 * burst: the environment of a runner started on this machine: the bridge's own, without its
 * secrets, plus the backend's configured variables (checked by the config schema).
 */

/** Variables of the bridge that a job must never see. */
const SECRET =
  /^(MLINFN_BRIDGE_SECRET|MLINFN_BRIDGE_TOKEN|JUPYTERHUB_API_TOKEN|JPY_API_TOKEN|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN)$/;

/** The environment for a runner. */
export function workerEnv(
  extra?: Record<string, string | undefined>
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !SECRET.test(key)) {
      env[key] = value;
    }
  }
  env.MLINFN_BURST = '1';
  env.PYTHONUNBUFFERED = '1';
  for (const [key, value] of Object.entries(extra ?? {})) {
    if (value !== undefined) {
      env[key] = value;
    }
  }
  return env;
}
