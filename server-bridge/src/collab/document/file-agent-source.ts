/**
 * The source of the file agent's child process, run as `node -e <source>`.
 *
 * A string, not a module: it then runs the same from the TypeScript sources under ts-jest,
 * from the tsc build and from the single-file esbuild bundle, with nothing for the command line
 * to dispatch and no file to find at run time. It is plain CommonJS with Node's built-ins only.
 *
 * Protocol (IPC channel, advanced serialization so that Buffers travel as they are):
 *   parent → child  {id, op: 'read'|'stat'|'write'|'conflictCopy', path, content?}
 *   child → parent  {id, ok: true, result} | {id, ok: false, code, message}
 * The root directory comes in MLINFN_FILE_AGENT_ROOT. The child exits when the channel closes.
 */
export const FILE_AGENT_SOURCE = String.raw`
'use strict';
const fs = require('node:fs');
const fsp = require('node:fs/promises');
const path = require('node:path');
const crypto = require('node:crypto');

const ROOT = process.env.MLINFN_FILE_AGENT_ROOT || '';
const MAX_BYTES = 1024 * 1024 * 1024;
let rootReal = null;
// real path -> { dev, ino, size, mtimeNs, ctimeNs, hash }: stat answers a hash without reading.
const hashes = new Map();

function fail(code, message) {
  const err = new Error(message);
  err.agentCode = code;
  return err;
}

function cleanRelative(rel) {
  if (typeof rel !== 'string' || rel === '') {
    throw fail('EINVALIDPATH', 'empty path');
  }
  if (rel.length > 4096) {
    throw fail('EINVALIDPATH', 'path too long');
  }
  if (rel.indexOf('\0') >= 0) {
    throw fail('EINVALIDPATH', 'NUL character in path');
  }
  if (rel[0] === '/' || path.isAbsolute(rel)) {
    throw fail('EINVALIDPATH', 'absolute path: paths are relative to the root directory');
  }
  const parts = rel.split('/');
  if (parts.indexOf('..') >= 0) {
    throw fail('EINVALIDPATH', '".." in path');
  }
  const clean = parts.filter(function (p) { return p !== '' && p !== '.'; });
  if (clean.length === 0) {
    throw fail('EINVALIDPATH', 'the root directory is not a file');
  }
  return clean.join('/');
}

async function root() {
  if (rootReal === null) {
    rootReal = await fsp.realpath(ROOT);
  }
  return rootReal;
}

function inside(base, p) {
  return p === base || p.startsWith(base.endsWith('/') ? base : base + '/');
}

function checkInside(base, real) {
  if (!inside(base, real)) {
    throw fail('EESCAPE', 'the path leads outside the root directory');
  }
  return real;
}

// The real path of an existing file (symlinks followed, and checked to stay under the root),
// or null when there is nothing there.
async function existing(rel) {
  const base = await root();
  try {
    return checkInside(base, await fsp.realpath(path.join(base, rel)));
  } catch (err) {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') {
      return null;
    }
    throw err;
  }
}

// Where a write goes: the existing file's real path, or a new name in the real parent.
async function writeTarget(rel) {
  const real = await existing(rel);
  if (real !== null) {
    return real;
  }
  const base = await root();
  const full = path.join(base, rel);
  let parent;
  try {
    parent = checkInside(base, await fsp.realpath(path.dirname(full)));
  } catch (err) {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') {
      throw fail('ENOENT', 'the directory does not exist');
    }
    throw err;
  }
  return path.join(parent, path.basename(full));
}

function sha256(buf) {
  return crypto.createHash('sha256').update(buf).digest('hex');
}

function remember(real, st, hash) {
  hashes.set(real, {
    dev: st.dev, ino: st.ino, size: st.size, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs, hash: hash
  });
  if (hashes.size > 10000) {
    hashes.delete(hashes.keys().next().value);
  }
}

function cached(real, st) {
  const c = hashes.get(real);
  return c && c.dev === st.dev && c.ino === st.ino && c.size === st.size &&
    c.mtimeNs === st.mtimeNs && c.ctimeNs === st.ctimeNs ? c.hash : undefined;
}

// Open for reading without ever blocking on a FIFO or device (O_NONBLOCK), regular files only.
async function openRegular(real) {
  const fh = await fsp.open(real, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try {
    const st = await fh.stat({ bigint: true });
    if (!st.isFile()) {
      throw fail('ENOTFILE', 'not a regular file');
    }
    if (st.size > BigInt(MAX_BYTES)) {
      throw fail('ETOOBIG', 'the file is larger than ' + MAX_BYTES + ' bytes');
    }
    return { fh: fh, st: st };
  } catch (err) {
    await fh.close().catch(function () {});
    throw err;
  }
}

async function opRead(rel) {
  const real = await existing(cleanRelative(rel));
  if (real === null) {
    return null;
  }
  const opened = await openRegular(real);
  try {
    const content = await opened.fh.readFile();
    const after = await opened.fh.stat({ bigint: true });
    const hash = sha256(content);
    if (after.size === BigInt(content.length) && after.mtimeNs === opened.st.mtimeNs) {
      remember(real, after, hash);
    }
    return { content: content, hash: hash, mtimeMs: Number(after.mtimeNs / 1000n) / 1000 };
  } finally {
    await opened.fh.close().catch(function () {});
  }
}

async function opStat(rel) {
  const real = await existing(cleanRelative(rel));
  if (real === null) {
    return null;
  }
  const st = await fsp.stat(real, { bigint: true });
  const out = { mtimeMs: Number(st.mtimeNs / 1000n) / 1000, size: Number(st.size) };
  if (!st.isFile()) {
    return out;
  }
  let hash = cached(real, st);
  if (hash === undefined && st.size <= BigInt(MAX_BYTES)) {
    const opened = await openRegular(real);
    try {
      const content = await opened.fh.readFile();
      const after = await opened.fh.stat({ bigint: true });
      if (after.size === BigInt(content.length) && after.mtimeNs === opened.st.mtimeNs) {
        hash = sha256(content);
        remember(real, after, hash);
        out.mtimeMs = Number(after.mtimeNs / 1000n) / 1000;
        out.size = content.length;
      }
    } finally {
      await opened.fh.close().catch(function () {});
    }
  }
  if (hash !== undefined) {
    out.hash = hash;
  }
  return out;
}

async function fsyncDir(dir) {
  const dh = await fsp.open(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  try {
    await dh.sync();
  } catch (err) {
    // Some file systems cannot fsync a directory; the rename itself is still atomic there.
    if (err.code !== 'EINVAL' && err.code !== 'ENOTSUP' && err.code !== 'EBADF') {
      throw err;
    }
  } finally {
    await dh.close().catch(function () {});
  }
}

function tempName(dir, base) {
  return path.join(dir, '.~' + base + '.' + process.pid + '-' + crypto.randomBytes(6).toString('hex') + '.tmp');
}

// Write content to a new temp file in dir with mode (and owner, when allowed), fsynced.
async function writeTemp(dir, base, content, like) {
  const tmp = tempName(dir, base);
  const mode = like ? Number(like.mode) & 0o7777 : 0o666 & ~process.umask();
  const fh = await fsp.open(tmp, 'wx', mode);
  try {
    await fh.writeFile(content);
    await fh.chmod(mode);
    if (like) {
      await fh.chown(Number(like.uid), Number(like.gid)).catch(function () {});
    }
    await fh.sync();
    const st = await fh.stat({ bigint: true });
    await fh.close();
    return { tmp: tmp, st: st };
  } catch (err) {
    await fh.close().catch(function () {});
    await fsp.unlink(tmp).catch(function () {});
    throw err;
  }
}

async function statOrNull(real) {
  try {
    return await fsp.stat(real, { bigint: true });
  } catch (err) {
    if (err.code === 'ENOENT') {
      return null;
    }
    throw err;
  }
}

async function opWrite(rel, content) {
  const target = await writeTarget(cleanRelative(rel));
  const before = await statOrNull(target);
  if (before && !before.isFile()) {
    throw fail('ENOTFILE', 'not a regular file');
  }
  const dir = path.dirname(target);
  const written = await writeTemp(dir, path.basename(target), content, before);
  try {
    await fsp.rename(written.tmp, target);
  } catch (err) {
    await fsp.unlink(written.tmp).catch(function () {});
    throw err;
  }
  await fsyncDir(dir);
  const hash = sha256(content);
  remember(target, written.st, hash);
  // The parent has the content already: only the hash and mtime travel back.
  return { hash: hash, mtimeMs: Number(written.st.mtimeNs / 1000n) / 1000 };
}

function pad(n) {
  return String(n).padStart(2, '0');
}

async function opConflictCopy(rel, content) {
  const clean = cleanRelative(rel);
  const base = await root();
  const relDir = path.posix.dirname(clean);
  const name = path.posix.basename(clean);
  let dir;
  try {
    dir = checkInside(base, await fsp.realpath(path.join(base, relDir)));
  } catch (err) {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') {
      throw fail('ENOENT', 'the directory does not exist');
    }
    throw err;
  }
  const original = await existing(clean).then(function (real) {
    return real === null ? null : statOrNull(real);
  });
  const dot = name.lastIndexOf('.');
  const stem = dot > 0 ? name.slice(0, dot) : name;
  const ext = dot > 0 ? name.slice(dot) : '';
  const d = new Date();
  const stamp = d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' +
    pad(d.getHours()) + '-' + pad(d.getMinutes()) + '-' + pad(d.getSeconds());
  const like = original && original.isFile() ? original : null;
  const written = await writeTemp(dir, name, content, like);
  try {
    for (let n = 1; n < 1000; n++) {
      const copy = stem + ' (conflict ' + stamp + (n > 1 ? ' ' + n : '') + ')' + ext;
      const target = path.join(dir, copy);
      try {
        // link() never replaces an existing file: the copy appears whole or not at all.
        await fsp.link(written.tmp, target);
      } catch (err) {
        if (err.code === 'EEXIST') {
          continue;
        }
        if (err.code === 'EPERM' || err.code === 'ENOTSUP' || err.code === 'EOPNOTSUPP' || err.code === 'EXDEV' || err.code === 'EMLINK') {
          // No hard links here: create exclusively and write in place.
          let fh;
          try {
            fh = await fsp.open(target, 'wx', Number(written.st.mode) & 0o7777);
          } catch (err2) {
            if (err2.code === 'EEXIST') {
              continue;
            }
            throw err2;
          }
          try {
            await fh.writeFile(content);
            await fh.sync();
          } finally {
            await fh.close().catch(function () {});
          }
        } else {
          throw err;
        }
      }
      await fsyncDir(dir);
      return relDir === '.' ? copy : relDir + '/' + copy;
    }
    throw fail('EEXIST', 'no free name for a conflict copy');
  } finally {
    await fsp.unlink(written.tmp).catch(function () {});
  }
}

const OPS = { read: opRead, stat: opStat, write: opWrite, conflictCopy: opConflictCopy };

process.on('message', function (msg) {
  const op = msg && OPS[msg.op];
  const reply = function (answer) {
    if (process.connected) {
      process.send(Object.assign({ id: msg && msg.id }, answer));
    }
  };
  if (!op) {
    reply({ ok: false, code: 'EBADREQUEST', message: 'unknown operation' });
    return;
  }
  Promise.resolve()
    .then(function () { return op(msg.path, msg.content); })
    .then(
      function (result) { reply({ ok: true, result: result }); },
      function (err) {
        reply({ ok: false, code: err.agentCode || err.code || 'EIO', message: err.agentCode ? err.message : String(err.code || '') + ': ' + (err.syscall || 'operation') + ' failed' });
      }
    );
});
process.on('disconnect', function () { process.exit(0); });
`;
