// The two servers of the collab benchmark, each a real Jupyter server on a free port with its
// own temporary root dir (where the test notebooks are written), reached with its token:
//   ours    jupyter-server from the suite's .venv: mlinfn_lab + jupyter-server-proxy; the bridge
//           is started by the proxy on a unix socket, its rooms at
//           {base}mlinfn-bridge/collab/<room> (ticket from {base}mlinfn/ticket)
//   theirs  jupyter-server from .cache/bench-collab-venv with jupyter-collaboration (PyPI,
//           bench/requirements-collab.txt): rooms at {base}api/collaboration/room/<room> after a
//           PUT {base}api/collaboration/session/<path>
// and the three ways the harness reaches a room (targets): ours through Jupyter (as users reach
// it), ours direct (the bridge's unix socket, the same process, no proxy hop), theirs (its rooms
// live inside the Jupyter server: there is no more direct way to reach them).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bridgeSocket, startBridge } from '../lib/bridge.mjs';
import { ROOT, startJupyter } from '../lib/jupyter.mjs';

export const COLLAB_VENV = path.join(ROOT, '.cache', 'bench-collab-venv');
const REQUIREMENTS = path.join(ROOT, 'bench', 'requirements-collab.txt');
const PY = path.join(COLLAB_VENV, 'bin', 'python');

/** What the anchor's venv answers for `import`, or null when it cannot import it. */
function anchorVersions() {
  try {
    return JSON.parse(
      execFileSync(
        PY,
        [
          '-c',
          'import json, importlib.metadata as m; import jupyter_server_ydoc; ' +
            'print(json.dumps({p: m.version(p) for p in ["jupyter-collaboration", "jupyter-server-ydoc", "pycrdt", "pycrdt-websocket", "jupyter_server", "tornado"]}))'
        ],
        { stdio: ['ignore', 'pipe', 'ignore'] }
      ).toString()
    );
  } catch {
    return null;
  }
}

/**
 * Make .cache/bench-collab-venv (python3 -m venv, pip install -r bench/requirements-collab.txt)
 * unless it is there for the current content of that file; returns the anchor's versions.
 */
export function ensureCollabVenv(log) {
  const want = createHash('sha256')
    .update(readFileSync(REQUIREMENTS))
    .digest('hex')
    .slice(0, 16);
  const stampFile = path.join(COLLAB_VENV, '.bench-stamp');
  const have = existsSync(stampFile) ? readFileSync(stampFile, 'utf8') : '';
  if (have.trim() === want) {
    const versions = anchorVersions();
    if (versions) {
      return versions;
    }
  }
  log(
    `# installing the anchor into ${path.relative(ROOT, COLLAB_VENV)} (python3 -m venv; pip install -r bench/requirements-collab.txt)`
  );
  mkdirSync(path.dirname(COLLAB_VENV), { recursive: true });
  if (!existsSync(PY)) {
    execFileSync('python3', ['-m', 'venv', COLLAB_VENV], {
      stdio: ['ignore', 'ignore', 'inherit']
    });
  }
  execFileSync(
    PY,
    [
      '-m',
      'pip',
      'install',
      '-q',
      '--disable-pip-version-check',
      '-r',
      REQUIREMENTS
    ],
    { stdio: ['ignore', 'ignore', 'inherit'], timeout: 900000 }
  );
  const versions = anchorVersions();
  if (!versions) {
    throw new Error(
      `jupyter-collaboration cannot be imported from ${COLLAB_VENV}`
    );
  }
  writeFileSync(stampFile, want);
  return versions;
}

/** Write `text` at `rel` in the server's root dir (the server sees it as `rel`). */
export function writeToRoot(jupyter, rel, text) {
  const full = path.join(jupyter.root, rel);
  mkdirSync(path.dirname(full), { recursive: true });
  writeFileSync(full, text);
  return rel;
}

/** Our Jupyter server (the suite's .venv), with the bridge started and found. */
export async function startOurs(name = 'collab-ours') {
  const jupyter = await startJupyter({ app: 'jupyter-server', name });
  try {
    const bridgePid = await startBridge(jupyter);
    const socket = bridgeSocket(bridgePid);
    if (!socket) {
      throw new Error("no --unix-socket on the bridge's command line");
    }
    return Object.assign(jupyter, { bridgePid, bridgeSocketPath: socket });
  } catch (err) {
    await jupyter.stop();
    throw err;
  }
}

/** The anchor's Jupyter server (.cache/bench-collab-venv), jupyter-collaboration's defaults. */
export async function startTheirs(name = 'collab-theirs') {
  return startJupyter({
    app: 'jupyter-server',
    name,
    venv: COLLAB_VENV,
    // Its defaults, except that its state files go to the server's temporary dir rather than
    // the working directory (the ystore) and the root dir (the session store).
    config: dir => ({
      'SQLiteYStore.db_path': path.join(dir, 'state', 'ystore.db'),
      'YDocExtension.session_store_path': path.join(
        dir,
        'state',
        'collaboration_sessions.json'
      )
    })
  });
}

const wsBase = jupyter => jupyter.url.replace(/^http/, 'ws');
const encodeParts = p => p.split('/').map(encodeURIComponent).join('/');

/**
 * How the harness reaches a room. `open(rel)` does what a front end does before the
 * WebSocket (ticket / session request) and resolves to the WebsocketProvider's arguments.
 */
export function targets({ ours, theirs }) {
  const ticket = async () => (await ours.api('GET', 'mlinfn/ticket')).ticket;
  return {
    'ours-proxy': {
      label: 'ours through Jupyter (jupyter-server-proxy)',
      async open(rel) {
        return {
          serverUrl: `${wsBase(ours)}mlinfn-bridge/collab`,
          roomname: encodeURIComponent(`json:notebook:${rel}`),
          params: { ticket: await ticket(), token: ours.token }
        };
      }
    },
    'ours-direct': {
      label: "ours direct (the bridge's unix socket)",
      async open(rel) {
        return {
          serverUrl: `ws+unix://${ours.bridgeSocketPath}:/collab`,
          roomname: encodeURIComponent(`json:notebook:${rel}`),
          params: { ticket: await ticket() }
        };
      }
    },
    theirs: {
      label: 'jupyter-collaboration (in the Jupyter server)',
      async open(rel) {
        const session = await theirs.api(
          'PUT',
          `api/collaboration/session/${encodeParts(rel)}`,
          { format: 'json', type: 'notebook' }
        );
        return {
          serverUrl: `${wsBase(theirs)}api/collaboration/room`,
          roomname: `json:notebook:${session.fileId}`,
          params: { sessionId: session.sessionId, token: theirs.token }
        };
      }
    }
  };
}
