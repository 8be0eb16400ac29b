/**
 * End-to-end checks of @mlinfn/data against a real JupyterLab, jupyter-server-proxy, bridge and
 * S3 server: the Ceph RGW test rig (scripts/rigs/ceph-rgw.sh), which scripts/start-test-lab.sh
 * starts and whose endpoint fixtures/bridge-config.data.json gives the bridge.
 *
 * Each run makes its own bucket (with CORS rules that let this lab's origin PUT parts and read
 * their ETag, so uploads go straight from the browser to RGW) and objects with boto3 and the
 * rig's admin keys, and removes them at the end.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pythonNotebook, writeNotebook } from './utils/notebooks';
import { lightAndDark, SCREENSHOTS } from './utils/screenshots';

const ROOT = path.resolve(__dirname, '..', '..');
const PANEL = '#mlinfn-data';
const PORT = process.env.MLINFN_TEST_LAB_PORT || '8888';
const ORIGIN = `http://localhost:${PORT}`;
const MiB = 1024 * 1024;
const HELLO = 'hello from RGW, via mlinfn\n';
/** Large enough that staging it takes a few frames on loopback, so its bar is drawn. */
const BIG_SIZE = 64 * MiB;
/** Three 8 MiB parts (the bridge's default part size). */
const UPLOAD_SIZE = 24 * MiB;
const BUCKET = `ui-data-${Date.now().toString(36)}`;
/**
 * The one bucket of the "your login" endpoint (fixtures/bridge-config.data.json: keys from STS
 * show no buckets in a listing, so the endpoint names it).
 */
const LOGIN_BUCKET = 'mlinfn-ui-login';
/** Where jupyter_server_test_config.py left that endpoint's OIDC access token. */
const TOKEN_FILE = path.join(
  os.tmpdir(),
  `mlinfn-ui-oidc-${PORT}`,
  'access_token'
);

/**
 * The rig's environment (S3_ENDPOINT, keys...): `start` is idempotent and quick when the rig
 * runs (the lab's start script started it); `env` prints `export NAME=value` lines.
 */
function rigEnv(): Record<string, string> {
  const script = path.join(ROOT, 'scripts', 'rigs', 'ceph-rgw.sh');
  execFileSync('bash', [script, 'start'], { stdio: 'ignore', timeout: 300000 });
  const out = execFileSync('bash', [script, 'env'], { encoding: 'utf8' });
  const env: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const match = /^(?:export )?([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match) {
      env[match[1]] = match[2].replace(/^(['"])(.*)\1$/, '$2');
    }
  }
  return env;
}

/**
 * Storage operations with boto3 and the rig's admin keys (the test's own access to RGW,
 * independent of the code under test).
 */
const S3_HELPER = `
import hashlib, json, sys, boto3
from botocore.config import Config
op, args = sys.argv[1], json.loads(sys.argv[2])
import os
s3 = boto3.client("s3", endpoint_url=os.environ["S3_ENDPOINT"], region_name=os.environ["S3_REGION"],
                  aws_access_key_id=os.environ["S3_ACCESS_KEY_ID"],
                  aws_secret_access_key=os.environ["S3_SECRET_ACCESS_KEY"],
                  config=Config(s3={"addressing_style": "path"}, request_checksum_calculation="when_required",
                                response_checksum_validation="when_required"))
b = args["bucket"]
if op == "setup":
    s3.create_bucket(Bucket=b)
    s3.put_bucket_cors(Bucket=b, CORSConfiguration={"CORSRules": [{
        "AllowedOrigins": [args["origin"]], "AllowedMethods": ["GET", "PUT", "HEAD"],
        "AllowedHeaders": ["*"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 600}]})
    for key, text in args["texts"].items():
        s3.put_object(Bucket=b, Key=key, Body=text.encode(), ContentType="text/plain")
    s3.put_object(Bucket=b, Key=args["big"], Body=os.urandom(args["bigSize"]))
    print(json.dumps({"ok": True}))
elif op == "put":
    try:
        s3.create_bucket(Bucket=b)
    except s3.exceptions.ClientError as e:
        if e.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise
    for key, text in args["texts"].items():
        s3.put_object(Bucket=b, Key=key, Body=text.encode(), ContentType="text/plain")
    print(json.dumps({"ok": True}))
elif op == "head":
    h = s3.head_object(Bucket=b, Key=args["key"])
    body = s3.get_object(Bucket=b, Key=args["key"])["Body"].read()
    print(json.dumps({"size": h["ContentLength"], "etag": h["ETag"].strip('"'),
                      "sha256": hashlib.sha256(body).hexdigest()}))
elif op == "cleanup":
    try:
        s3.head_bucket(Bucket=b)
    except Exception:
        print(json.dumps({"ok": True}))
        sys.exit(0)
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=b):
        for o in page.get("Contents", []):
            s3.delete_object(Bucket=b, Key=o["Key"])
    for u in s3.list_multipart_uploads(Bucket=b).get("Uploads", []):
        s3.abort_multipart_upload(Bucket=b, Key=u["Key"], UploadId=u["UploadId"])
    s3.delete_bucket(Bucket=b)
    print(json.dumps({"ok": True}))
`;

function s3(op: string, args: Record<string, unknown>): any {
  const out = execFileSync(
    path.join(ROOT, '.venv', 'bin', 'python'),
    ['-c', S3_HELPER, op, JSON.stringify({ bucket: BUCKET, ...args })],
    { encoding: 'utf8', env: { ...process.env, ...rigEnv() }, timeout: 280000 }
  );
  return JSON.parse(out.trim().split('\n').pop()!);
}

/**
 * A token from the rig's test OIDC issuer (`flags`: e.g. `--expired`), as the Hub would store it.
 */
function writeToken(flags: string[]): void {
  const token = execFileSync(
    path.join(ROOT, '.venv', 'bin', 'python'),
    [
      path.join(ROOT, 'scripts', 'rigs', 'oidc-issuer.py'),
      'sign',
      '--dir',
      rigEnv().OIDC_RIG_DIR,
      ...flags
    ],
    { encoding: 'utf8', timeout: 60000 }
  ).trim();
  fs.writeFileSync(TOKEN_FILE, token, { mode: 0o600 });
}

/**
 * Open the Data panel through its command, and the test's bucket in it.
 */
async function openBucket(page: IJupyterLabPageFixture): Promise<Locator> {
  await page.evaluate(async () => {
    await window.jupyterapp.commands.execute('mlinfn-data:open');
  });
  const panel = page.locator(PANEL);
  await expect(panel).toBeVisible();
  // The proxy starts the bridge on first use.
  const bucket = panel.locator(
    `.jp-DataBrowser-bucketButton[data-bucket="${BUCKET}"]`
  );
  await expect(bucket).toBeVisible({ timeout: 45000 });
  await bucket.click();
  await expect(panel.locator('.jp-DataBrowser-breadcrumb')).toContainText(
    BUCKET
  );
  return panel;
}

/**
 * Select an object of the listing (the rows are virtualised: it must be in view).
 */
async function selectObject(panel: Locator, key: string): Promise<Locator> {
  await panel.locator(`.jp-DataObjectList-row[data-key="${key}"]`).click();
  const details = panel.locator('.jp-DataDetails');
  await expect(details.locator('.jp-DataDetails-key')).toHaveText(key);
  return details;
}

/**
 * Record, from now on, every text a selector's elements show (progress bars come and go
 * faster than polling could see them).
 */
async function recordTexts(
  page: IJupyterLabPageFixture,
  name: string,
  selector: string
): Promise<void> {
  await page.evaluate(
    ({ name, selector }) => {
      const seen: string[] = [];
      (window as any)[name] = seen;
      const record = () => {
        for (const node of Array.from(document.querySelectorAll(selector))) {
          const text = node.textContent ?? '';
          if (text && seen[seen.length - 1] !== text) {
            seen.push(text);
          }
        }
      };
      new MutationObserver(record).observe(document.body, {
        subtree: true,
        childList: true,
        characterData: true
      });
    },
    { name, selector }
  );
}

async function recorded(
  page: IJupyterLabPageFixture,
  name: string
): Promise<string[]> {
  return page.evaluate(name => (window as any)[name] as string[], name);
}

/**
 * Write a notebook of code cells, open it and return after it is shown.
 */
async function openNotebook(
  page: IJupyterLabPageFixture,
  tmpPath: string,
  name: string,
  sources: string[]
): Promise<void> {
  const file = `${tmpPath}/${name}`;
  await writeNotebook(page, file, pythonNotebook(sources));
  // Through the document manager: the Data panel, not the file browser, holds the sidebar.
  await page.evaluate(async path => {
    await window.jupyterapp.commands.execute('docmanager:open', { path });
  }, file);
  await expect(
    page.locator('.jp-NotebookPanel .jp-Cell').first()
  ).toBeVisible();
  await page.notebook.activate(name);
}

test.describe('@mlinfn/data', () => {
  test.describe.configure({ mode: 'serial' });

  test.beforeAll(() => {
    // RGW writes the 64 MiB object in memory; on a busy machine that takes a while.
    test.setTimeout(300000);
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    s3('setup', {
      origin: ORIGIN,
      texts: {
        'hello.txt': HELLO,
        'runs/2024/events.csv': 'run,events\n1,120\n2,340\n',
        'runs/2024/notes.txt': 'calibrated\n',
        'runs/2025/notes.txt': 'pending\n'
      },
      big: 'big.bin',
      bigSize: BIG_SIZE
    });
  });

  test.afterAll(() => {
    test.setTimeout(240000);
    s3('cleanup', {});
    s3('cleanup', { bucket: LOGIN_BUCKET });
    // Free the deleted objects' memory now: RGW's garbage collector waits hours by default,
    // and the rig's in-memory OSD would fill up over a few runs.
    const rigDir =
      process.env.MLINFN_RIG_DIR || path.join(ROOT, '.cache', 'rigs', 'rgw');
    try {
      execFileSync('radosgw-admin', ['gc', 'process', '--include-all'], {
        env: { ...process.env, CEPH_CONF: path.join(rigDir, 'ceph.conf') },
        stdio: 'ignore',
        timeout: 120000
      });
    } catch {
      // Only space: the collector runs on its own later.
    }
  });

  test.afterEach(async ({ page }) => {
    await page.kernel.shutdownAll();
  });

  test('browse a bucket: folders, a filter and the details of an object', async ({
    page
  }) => {
    const panel = await openBucket(page);
    const list = panel.locator('.jp-DataObjectList');
    await expect(
      list.locator('.jp-mod-folder[data-prefix="runs/"]')
    ).toHaveText(/runs\//);
    await expect(list.locator('[data-key="hello.txt"]')).toContainText('27 B');
    await expect(panel.locator('.jp-DataBrowser-count')).toHaveText('3 items');

    // Into a folder, and into another, by the rows and the breadcrumb.
    await list.locator('[data-prefix="runs/"]').click();
    await list.locator('[data-prefix="runs/2024/"]').click();
    await expect(list.locator('[data-key="runs/2024/events.csv"]')).toHaveText(
      /events\.csv/
    );
    await expect(panel.locator('.jp-DataBrowser-breadcrumb')).toContainText(
      `${BUCKET}/runs/2024`
    );
    await panel.locator('.jp-DataBrowser-crumb', { hasText: 'runs' }).click();
    // The filter lists by prefix on the server.
    await panel.locator('.jp-DataBrowser-filter').fill('2025');
    await expect(list.locator('.jp-DataObjectList-row')).toHaveCount(1);
    await expect(list.locator('.jp-DataObjectList-row')).toHaveText(/2025\//);
    await panel.locator('.jp-DataBrowser-crumb', { hasText: BUCKET }).click();

    const details = await selectObject(panel, 'hello.txt');
    await expect(details.locator('.jp-DataDetails-size')).toHaveText('27 B');
    await expect(details.locator('.jp-DataDetails-contentType')).toHaveText(
      'text/plain'
    );
    await expect(details.locator('.jp-DataDetails-etag')).toHaveText(
      /^[0-9a-f]{32}$/
    );
    await expect(details.locator('.jp-DataDetails-modified')).not.toBeEmpty();
  });

  test('an endpoint reached with your login: temporary keys, an expired login, a new one', async ({
    page
  }) => {
    s3('put', {
      bucket: LOGIN_BUCKET,
      texts: { 'results/summary.txt': 'ok\n' }
    });
    writeToken(['--ttl', '7200']);
    await page.evaluate(async () => {
      await window.jupyterapp.commands.execute('mlinfn-data:open');
    });
    const panel = page.locator(PANEL);
    // The first endpoint (static keys) is open; the login one is a choice away.
    await expect(
      panel.locator(`.jp-DataBrowser-bucketButton[data-bucket="${BUCKET}"]`)
    ).toBeVisible({ timeout: 45000 });
    await panel
      .locator('select.jp-DataBrowser-endpoint')
      .selectOption('rgw-login');
    const bucket = panel.locator(
      `.jp-DataBrowser-bucketButton[data-bucket="${LOGIN_BUCKET}"]`
    );
    await bucket.click();
    const list = panel.locator('.jp-DataObjectList');
    await expect(list.locator('[data-prefix="results/"]')).toBeVisible();
    // The keys came from STS for this login: back at the endpoint, the panel says until when
    // they hold.
    await panel
      .locator('.jp-DataBrowser-crumb', { hasText: 'Test RGW (your login)' })
      .click();
    await page.evaluate(async () => {
      await window.jupyterapp.commands.execute('mlinfn-data:refresh');
    });
    await expect(panel.locator('.jp-DataBrowser-credentials')).toHaveText(
      /^Test RGW \(your login\) · keys from your login, valid until .+/
    );

    // The login expires (the Hub's token is past its time): the panel says to log in again.
    writeToken(['--expired']);
    await bucket.click();
    const error = panel.locator('.jp-DataPanel-error');
    await expect(error.locator('.jp-DataPanel-errorMessage')).toHaveText(
      /log in again/i
    );
    await expect(
      error.locator('button', { hasText: 'Log in again' })
    ).toBeVisible();
    await expect(list.locator('[data-prefix="results/"]')).toHaveCount(0);

    // After a new login, Retry lists the bucket again with fresh keys.
    writeToken(['--ttl', '7200']);
    await error.locator('button', { hasText: 'Retry' }).click();
    await expect(list.locator('[data-prefix="results/"]')).toBeVisible();
    await expect(panel.locator('.jp-DataPanel-error')).toHaveCount(0);
  });

  test('a pre-signed link shows its real expiry; copied, it fetches the object', async ({
    page
  }) => {
    await page
      .context()
      .grantPermissions(['clipboard-read', 'clipboard-write'], {
        origin: ORIGIN
      });
    const panel = await openBucket(page);
    const details = await selectObject(panel, 'hello.txt');
    await details.getByRole('button', { name: 'Share link…' }).click();
    const dialog = page.locator('.jp-Dialog .jp-DataLinkDialog');
    await expect(dialog).toBeVisible();
    await dialog.locator('.jp-DataLinkDialog-amount').fill('2');
    await dialog.locator('.jp-DataLinkDialog-unit').selectOption('3600');
    await dialog.getByRole('button', { name: 'Create link' }).click();
    const url = dialog.locator('.jp-DataLinkDialog-url');
    await expect(url).toHaveValue(/X-Amz-Signature=/);
    // Static keys: the expiry is what was asked, and says so.
    await expect(dialog.locator('.jp-DataLinkDialog-expiry')).toHaveText(
      /^Valid for (2 h|1 h 59 min) \(until .+\)$/
    );
    await expect(dialog.locator('.jp-DataLinkDialog-capped')).toHaveCount(0);

    await dialog.getByRole('button', { name: 'Copy' }).click();
    await expect(
      page.locator('.jp-toast-message', { hasText: 'Link copied' })
    ).toBeVisible();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied).toBe(await url.inputValue());
    expect(copied).toContain('X-Amz-Expires=7200');

    // The copied link works for anyone who has it, and only as signed.
    const response = await page.request.get(copied);
    expect(response.status()).toBe(200);
    expect(await response.text()).toBe(HELLO);
    const tampered = await page.request.get(
      copied.replace('hello.txt', 'big.bin')
    );
    expect(tampered.status()).toBe(403);
    await page
      .locator('.jp-Dialog')
      .getByRole('button', { name: 'Close' })
      .click();

    // A link longer than SigV4 allows is capped at 7 days, and the dialog says why.
    await details.getByRole('button', { name: 'Share link…' }).click();
    await dialog.locator('.jp-DataLinkDialog-amount').fill('30');
    await dialog.locator('.jp-DataLinkDialog-unit').selectOption('86400');
    await dialog.getByRole('button', { name: 'Create link' }).click();
    await expect(dialog.locator('.jp-DataLinkDialog-expiry')).toHaveText(
      /^Valid for (7 d|6 d 23 h) /
    );
    await expect(dialog.locator('.jp-DataLinkDialog-capped')).toHaveText(
      'Shorter than the 30 d asked for: pre-signed links live at most 7 days.'
    );
    await page
      .locator('.jp-Dialog')
      .getByRole('button', { name: 'Close' })
      .click();
  });

  test('an upload goes in parts straight to storage, with a progress bar', async ({
    page
  }) => {
    const panel = await openBucket(page);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlinfn-ui-upload-'));
    const file = path.join(dir, 'upload.bin');
    const bytes = Buffer.alloc(UPLOAD_SIZE);
    for (let i = 0; i < bytes.length; i += 4096) {
      bytes.writeUInt32LE(i, i);
    }
    fs.writeFileSync(file, bytes);
    try {
      await recordTexts(
        page,
        '__uploadBars',
        '.jp-DataUploads-item .jp-ProgressBar-text'
      );
      const chooser = page.waitForEvent('filechooser');
      await panel.locator('.jp-DataPanel-upload').click();
      await (await chooser).setFiles(file);

      const item = panel.locator('.jp-DataUploads-item[data-key="upload.bin"]');
      await expect(item).toHaveAttribute('data-state', 'done', {
        timeout: 60000
      });
      await expect(item.locator('.jp-DataUploads-status')).toHaveText(
        'uploaded · 3 of 3 parts · straight to storage'
      );
      await expect(item.locator('.jp-ProgressBar-text')).toHaveText(
        '25.2 MB of 25.2 MB · done'
      );
      // The bar moved through amounts below the total on its way.
      const texts = await recorded(page, '__uploadBars');
      expect(texts.some(t => /^[\d.]+ [kM]?B of 25\.2 MB/.test(t))).toBe(true);
      // In the bucket, whole, assembled from three parts; and listed.
      const head = s3('head', { key: 'upload.bin' });
      expect(head.size).toBe(UPLOAD_SIZE);
      expect(head.etag).toMatch(/-3$/);
      const { createHash } = await import('crypto');
      expect(head.sha256).toBe(
        createHash('sha256').update(bytes).digest('hex')
      );
      await expect(
        panel.locator('.jp-DataObjectList-row[data-key="upload.bin"]')
      ).toContainText('25.2 MB');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('staging shows a progress bar in the panel and the status bar, then lands in the cache (README pictures)', async ({
    page
  }) => {
    test.setTimeout(120000);
    const panel = await openBucket(page);
    await recordTexts(
      page,
      '__stageBars',
      '.jp-DataCache-staging .jp-ProgressBar-text, .jp-DataStatusItem-text'
    );
    const details = await selectObject(panel, 'big.bin');
    await details.getByRole('button', { name: 'Stage' }).click();
    const entry = panel.locator(
      `.jp-DataCache-entry[data-bucket="${BUCKET}"][data-key="big.bin"]`
    );
    await expect(entry).toBeVisible({ timeout: 60000 });
    await expect(entry.locator('.jp-DataCache-meta')).toHaveText(
      /^67\.1 MB · just now$/
    );
    const texts = await recorded(page, '__stageBars');
    expect(texts.some(t => /of 67\.1 MB/.test(t))).toBe(true);
    expect(texts.some(t => /^Staging 1 object · \d+ %$/.test(t))).toBe(true);
    // Done: the status-bar item goes away, and the details say where the copy is.
    await expect(page.locator('.jp-DataStatusItem')).toBeHidden();
    await expect(details.locator('.jp-DataDetails-cached')).toHaveText(
      /^In the cache: \/.+\.bin$/
    );

    // "Copy path" copies the cached file's path: the file is the object, whole.
    await page
      .context()
      .grantPermissions(['clipboard-read', 'clipboard-write'], {
        origin: ORIGIN
      });
    await entry.getByRole('button', { name: 'Copy path' }).click();
    await expect(
      page.locator('.jp-toast-message', { hasText: 'Path copied' })
    ).toBeVisible();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied).toMatch(/\.bin$/);
    expect(fs.statSync(copied).size).toBe(BIG_SIZE);

    // Mounts: the section answers (health comes from probes in the background).
    await expect(
      panel.locator('.jp-DataMounts .jp-DataPanel-loading')
    ).toHaveCount(0, { timeout: 15000 });

    // Entries other runs of this test left in the cache (it outlives the lab) go first.
    const others = panel.locator(
      `.jp-DataCache-entry[data-bucket^="ui-data-"]:not([data-bucket="${BUCKET}"])`
    );
    while ((await others.count()) > 0) {
      const count = await others.count();
      await others.first().getByRole('button', { name: 'Remove' }).click();
      await expect(others).toHaveCount(count - 1);
    }

    // Pictures for the README (not snapshot comparisons), light and dark.
    await selectObject(panel, 'hello.txt');
    await panel.evaluate(node => node.scrollTo(0, 0));
    await page.setViewportSize({ width: 1280, height: 1000 });
    await page.sidebar.setWidth(400, 'left');
    await lightAndDark(page, panel, 'data-panel.png', 'data-panel-dark.png');

    // Remove gives the cache its room back (the cache outlives this lab).
    await entry.getByRole('button', { name: 'Remove' }).click();
    await expect(entry).toHaveCount(0);
    expect(fs.existsSync(copied)).toBe(false);
  });

  test('Insert snippet puts a cell below the active one that reads a staged object in the kernel', async ({
    page,
    tmpPath
  }) => {
    test.setTimeout(120000);
    const panel = await openBucket(page);
    // A notebook, then "Insert snippet" on a small text object: a cell below the active one
    // that stages it through the kernel API and prints it.
    await openNotebook(page, tmpPath, 'read-data.ipynb', ['print("start")']);
    await selectObject(panel, 'hello.txt');
    await panel
      .locator('.jp-DataDetails')
      .getByRole('button', { name: 'Insert snippet' })
      .click();
    await expect
      .poll(async () => (await page.notebook.getCellCount()) ?? 0)
      .toBe(2);
    const source = await page.notebook.getCellTextInput(1);
    expect(source).toContain('from mlinfn_lab.data import stage');
    expect(source).toContain(`stage("rgw", "${BUCKET}", "hello.txt")`);
    await page.notebook.runCell(1);
    const output = ((await page.notebook.getCellTextOutput(1)) ?? []).join('');
    expect(output).toContain(HELLO.trim());
    // The kernel's staging is in the panel's cache too.
    const entry = panel.locator(
      `.jp-DataCache-entry[data-bucket="${BUCKET}"][data-key="hello.txt"]`
    );
    await expect(entry).toBeVisible({ timeout: 15000 });
    await entry.getByRole('button', { name: 'Remove' }).click();
    await expect(entry).toHaveCount(0);
  });

  test('stage from code with the kernel API; the panel lists the staged object', async ({
    page,
    tmpPath
  }) => {
    test.setTimeout(120000);
    await openNotebook(page, tmpPath, 'stage-from-code.ipynb', [
      [
        'import os',
        'from mlinfn_lab.data import stage',
        '',
        `path = stage("rgw", "${BUCKET}", "runs/2024/events.csv", progress=False)`,
        'print(os.path.basename(path).endswith(".csv"), os.path.getsize(path))',
        'print(open(path).read())'
      ].join('\n')
    ]);
    await page.notebook.runCell(0);
    const output = ((await page.notebook.getCellTextOutput(0)) ?? []).join('');
    expect(output).toContain('True 23');
    expect(output).toContain('2,340');

    const panel = await openBucket(page);
    const entry = panel.locator(
      `.jp-DataCache-entry[data-bucket="${BUCKET}"][data-key="runs/2024/events.csv"]`
    );
    await expect(entry).toBeVisible({ timeout: 15000 });
    await expect(entry.locator('.jp-DataCache-meta')).toHaveText(/^23 B · /);
    await entry.getByRole('button', { name: 'Remove' }).click();
    await expect(entry).toHaveCount(0);
  });
});
