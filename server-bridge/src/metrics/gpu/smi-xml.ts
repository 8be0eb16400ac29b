/**
 * A targeted, single-pass scanner for nvidia-smi's `-q -x` documents.
 *
 * An 8-GPU document is ~85 KB and ~1,900 elements, of which the payload needs about fifteen
 * per GPU; building a tree of them all (names, attribute maps, texts) for every loop document
 * was the GPU path's main cost. This scanner goes through the document once, front to back,
 * with a stack of contexts. In each context it compares the names of the child elements with
 * the few it wants there (the table below, by length then characters: no string is made for a
 * name), enters the elements on the way to a needed field, takes the text of the needed
 * leaves, and steps over every other element whole, tag by tag, without reading the names or
 * texts inside it. Where an element appears twice, the first counts.
 *
 *     gpu/product_name, gpu/uuid               name, uuid
 *     gpu/mig_mode/current_mig                 migMode
 *     gpu/mig_devices/mig_device/{gpu_instance_id, compute_instance_id,
 *                                 fb_memory_usage/{used, total}}
 *     gpu/fb_memory_usage/{used, total}        memory
 *     gpu/utilization/gpu_util                 utilisation
 *     gpu/temperature/gpu_temp                 temperature
 *     gpu/gpu_power_readings (535+) else gpu/power_readings: power_draw | average_power_draw
 *       (550+) | instant_power_draw; current_power_limit | power_limit | enforced_power_limit
 *     gpu/processes/process_info/{pid, used_memory, gpu_instance_id, compute_instance_id}
 *
 * It is still an XML reader, not a pattern match: each element it enters or steps over must be
 * closed by its own closing tag (nested elements of any name are counted, not searched for by
 * name), self-closing elements, comments, the XML declaration and the DOCTYPE are understood,
 * entities are decoded in the texts kept, and a document that is truncated, or whose root is
 * not `<nvidia_smi_log>`, is rejected (the loop skips it). nvidia-smi writes no CDATA, namespaces or mixed content. The
 * tests check it against a full tree reader on every fixture, on re-formatted variants and on
 * truncations.
 */
import type { MetricsGpuDevice, MetricsMigInstance } from '../../schema-types';
import { IGpuProcess, IGpuReading, smiNumber } from './types';

// Contexts: where in the document the scanner stands.
const AT_DOCUMENT = 0;
const AT_ROOT = 1; //                      <nvidia_smi_log>
const AT_GPU = 2; //                         <gpu>
const AT_MIG_MODE = 3; //                      <mig_mode>
const AT_MIG_DEVICES = 4; //                   <mig_devices>
const AT_MIG_DEVICE = 5; //                      <mig_device>
const AT_MIG_MEMORY = 6; //                        <fb_memory_usage>
const AT_MEMORY = 7; //                        <fb_memory_usage>
const AT_UTILIZATION = 8; //                   <utilization>
const AT_TEMPERATURE = 9; //                   <temperature>
const AT_POWER = 10; //                        <gpu_power_readings>
const AT_OLD_POWER = 11; //                    <power_readings>
const AT_PROCESSES = 12; //                    <processes>
const AT_PROCESS = 13; //                        <process_info>
/** A wanted leaf: its text is kept. */
const LEAF = -1;

/** Per context: the child element names it wants, and the context each opens (or LEAF). */
const WANTED: [string, number][][] = [];
WANTED[AT_DOCUMENT] = [['nvidia_smi_log', AT_ROOT]];
WANTED[AT_ROOT] = [['gpu', AT_GPU]];
WANTED[AT_GPU] = [
  ['product_name', LEAF],
  ['uuid', LEAF],
  ['mig_mode', AT_MIG_MODE],
  ['mig_devices', AT_MIG_DEVICES],
  ['fb_memory_usage', AT_MEMORY],
  ['utilization', AT_UTILIZATION],
  ['temperature', AT_TEMPERATURE],
  ['gpu_power_readings', AT_POWER],
  ['power_readings', AT_OLD_POWER],
  ['processes', AT_PROCESSES]
];
WANTED[AT_MIG_MODE] = [['current_mig', LEAF]];
WANTED[AT_MIG_DEVICES] = [['mig_device', AT_MIG_DEVICE]];
WANTED[AT_MIG_DEVICE] = [
  ['gpu_instance_id', LEAF],
  ['compute_instance_id', LEAF],
  ['fb_memory_usage', AT_MIG_MEMORY]
];
WANTED[AT_MIG_MEMORY] = [
  ['used', LEAF],
  ['total', LEAF]
];
WANTED[AT_MEMORY] = WANTED[AT_MIG_MEMORY];
WANTED[AT_UTILIZATION] = [['gpu_util', LEAF]];
WANTED[AT_TEMPERATURE] = [['gpu_temp', LEAF]];
WANTED[AT_POWER] = [
  ['power_draw', LEAF],
  ['average_power_draw', LEAF],
  ['instant_power_draw', LEAF],
  ['current_power_limit', LEAF],
  ['power_limit', LEAF],
  ['enforced_power_limit', LEAF]
];
WANTED[AT_OLD_POWER] = WANTED[AT_POWER];
WANTED[AT_PROCESSES] = [['process_info', AT_PROCESS]];
WANTED[AT_PROCESS] = [
  ['pid', LEAF],
  ['used_memory', LEAF],
  ['gpu_instance_id', LEAF],
  ['compute_instance_id', LEAF]
];

/** Containers under <gpu> that only their first occurrence opens (the rest are stepped over). */
const ONCE_PER_GPU = new Set([
  AT_MIG_MODE,
  AT_MIG_DEVICES,
  AT_MEMORY,
  AT_UTILIZATION,
  AT_TEMPERATURE,
  AT_POWER,
  AT_OLD_POWER,
  AT_PROCESSES
]);

const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'"
};

/** Decode the predefined entities and character references. */
function decodeEntities(s: string): string {
  if (!s.includes('&')) {
    return s;
  }
  return s.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (whole, ent: string) => {
    if (ent[0] === '#') {
      const code =
        ent[1] === 'x' || ent[1] === 'X'
          ? parseInt(ent.slice(2), 16)
          : parseInt(ent.slice(1), 10);
      return Number.isFinite(code) ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[ent] ?? whole;
  });
}

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 9 || c === 13;
}

/** Characters of an element name (letters, digits, `_ . : -`). */
function isNameChar(c: number): boolean {
  return (
    (c >= 97 && c <= 122) ||
    (c >= 65 && c <= 90) ||
    (c >= 48 && c <= 58) ||
    c === 95 ||
    c === 46 ||
    c === 45
  );
}

/** Whether text[a, a + length) and text[b, b + length) hold the same characters. */
function sameRange(
  text: string,
  a: number,
  b: number,
  length: number
): boolean {
  for (let k = 0; k < length; k++) {
    if (text.charCodeAt(a + k) !== text.charCodeAt(b + k)) {
      return false;
    }
  }
  return true;
}

/**
 * The text of an element whose content is [start, end): trimmed and decoded, as a tree
 * reader gives it (for an element with children or comments: its text pieces, each trimmed,
 * joined).
 */
function textOf(text: string, start: number, end: number): string {
  let a = start;
  let b = end;
  while (a < b && isSpace(text.charCodeAt(a))) {
    a++;
  }
  while (b > a && isSpace(text.charCodeAt(b - 1))) {
    b--;
  }
  const raw = text.slice(a, b);
  if (!raw.includes('<')) {
    return decodeEntities(raw);
  }
  return raw
    .split(/<!--[\s\S]*?-->|<[^>]*>/)
    .map(s => s.trim())
    .filter(s => s)
    .map(decodeEntities)
    .join('');
}

/** The texts kept for one `<gpu>`. */
interface IGpuTexts {
  name?: string;
  uuid?: string;
  currentMig?: string;
  used?: string;
  total?: string;
  util?: string;
  temp?: string;
  /** The first gpu_power_readings (535+ drivers), the first power_readings (older). */
  power: Record<string, string> | null;
  oldPower: Record<string, string> | null;
  opened: Set<number>;
  migInstances: MetricsMigInstance[];
  processCount: number;
  processesFrom: number;
}

/** The texts kept for one `<mig_device>` or `<process_info>`. */
interface IItemTexts {
  pid?: string;
  memory?: string;
  used?: string;
  total?: string;
  gi?: string;
  ci?: string;
  memoryOpened?: boolean;
}

/** One scan of one document; see the file comment. */
class Scan {
  constructor(private readonly xml: string) {}

  run(time: number): IGpuReading {
    const xml = this.xml;
    const n = xml.length;
    // Open containers: their contexts, and where their names are in the text.
    const contexts: number[] = [];
    const nameAt: number[] = [];
    const nameLength: number[] = [];
    let at = AT_DOCUMENT;
    let i = 0;
    for (;;) {
      const lt = xml.indexOf('<', i);
      if (lt < 0) {
        throw new Error(
          at === AT_DOCUMENT
            ? 'empty XML document'
            : 'truncated XML: the root element is not closed'
        );
      }
      const c = xml.charCodeAt(lt + 1);
      if (c === 47 /* </ */) {
        const from = nameAt.pop();
        const length = nameLength.pop() as number;
        const after = lt + 2 + length;
        if (
          from === undefined ||
          !sameRange(xml, from, lt + 2, length) ||
          (xml.charCodeAt(after) !== 62 && !isSpace(xml.charCodeAt(after)))
        ) {
          throw new Error(`malformed XML at ${xml.slice(lt, lt + 40)}`);
        }
        this._leave(at);
        at = contexts.pop() as number;
        if (at === AT_DOCUMENT) {
          return { time, devices: this._devices, processes: this._processes };
        }
        i = xml.indexOf('>', after) + 1;
        continue;
      }
      if (c === 33 /* <! */ || c === 63 /* <? */) {
        i = skipDeclaration(xml, lt);
        continue;
      }
      let e = lt + 1;
      while (e < n && isNameChar(xml.charCodeAt(e))) {
        e++;
      }
      const gt = xml.indexOf('>', e);
      if (e === lt + 1 || gt < 0) {
        throw new Error(
          gt < 0 ? 'truncated XML: unterminated tag' : 'malformed XML: no name'
        );
      }
      const empty = xml.charCodeAt(gt - 1) === 47; // <name/>
      const length = e - lt - 1;
      // Which of the names wanted here, if any (compared in place: no string made).
      const wanted = WANTED[at];
      let name: string | undefined;
      let next = 0;
      for (let k = 0; k < wanted.length; k++) {
        const w = wanted[k][0];
        if (w.length === length && xml.startsWith(w, lt + 1)) {
          name = w;
          next = wanted[k][1];
          break;
        }
      }
      if (at === AT_DOCUMENT && name === undefined) {
        throw new Error(`not an nvidia-smi log: <${xml.slice(lt + 1, e)}>`);
      }
      if (name !== undefined && next !== LEAF && !this._open(at, next)) {
        name = undefined; // a container given twice: the first counts
      }
      if (name === undefined || next === LEAF) {
        const end = empty ? gt : elementEnd(xml, lt + 1, length, gt + 1, n);
        if (name !== undefined) {
          this._leaf(at, name, empty ? '' : textOf(xml, gt + 1, end));
        }
        i = empty ? gt + 1 : xml.indexOf('>', end) + 1;
        continue;
      }
      if (empty) {
        this._leave(next);
        if (next === AT_ROOT) {
          return { time, devices: this._devices, processes: this._processes };
        }
      } else {
        contexts.push(at);
        nameAt.push(lt + 1);
        nameLength.push(length);
        at = next;
      }
      i = gt + 1;
    }
  }

  /** A container `next` opens under `at`: start what it fills; false to step over it. */
  private _open(at: number, next: number): boolean {
    switch (next) {
      case AT_GPU:
        this._gpu = {
          power: null,
          oldPower: null,
          opened: new Set(),
          migInstances: [],
          processCount: 0,
          processesFrom: this._processes.length
        };
        return true;
      case AT_MIG_DEVICE:
        this._item = {};
        return true;
      case AT_MIG_MEMORY:
        if (this._item.memoryOpened) {
          return false;
        }
        this._item.memoryOpened = true;
        return true;
      case AT_PROCESS:
        (this._gpu as IGpuTexts).processCount++;
        this._item = {};
        return true;
      case AT_ROOT:
        return true;
    }
    const g = this._gpu as IGpuTexts;
    if (at === AT_GPU && ONCE_PER_GPU.has(next)) {
      if (g.opened.has(next)) {
        return false;
      }
      g.opened.add(next);
      if (next === AT_POWER) {
        g.power = {};
      } else if (next === AT_OLD_POWER) {
        g.oldPower = {};
      }
    }
    return true;
  }

  /** Keep a wanted leaf's text (the first of each name). */
  private _leaf(at: number, name: string, text: string): void {
    const g = this._gpu as IGpuTexts;
    const item = this._item;
    switch (at) {
      case AT_GPU:
        if (name === 'product_name') {
          g.name ??= text;
        } else {
          g.uuid ??= text;
        }
        break;
      case AT_MIG_MODE:
        g.currentMig ??= text;
        break;
      case AT_MEMORY:
        if (name === 'used') {
          g.used ??= text;
        } else {
          g.total ??= text;
        }
        break;
      case AT_UTILIZATION:
        g.util ??= text;
        break;
      case AT_TEMPERATURE:
        g.temp ??= text;
        break;
      case AT_POWER:
      case AT_OLD_POWER: {
        const fields = (at === AT_POWER ? g.power : g.oldPower) as Record<
          string,
          string
        >;
        fields[name] ??= text;
        break;
      }
      case AT_MIG_MEMORY:
        if (name === 'used') {
          item.used ??= text;
        } else {
          item.total ??= text;
        }
        break;
      case AT_MIG_DEVICE:
      case AT_PROCESS:
        if (name === 'pid') {
          item.pid ??= text;
        } else if (name === 'used_memory') {
          item.memory ??= text;
        } else if (name === 'gpu_instance_id') {
          item.gi ??= text;
        } else {
          item.ci ??= text;
        }
        break;
    }
  }

  /** Leave a context: a finished GPU, MIG instance or process is recorded. */
  private _leave(at: number): void {
    const g = this._gpu as IGpuTexts;
    const item = this._item;
    switch (at) {
      case AT_GPU:
        this._devices.push(gpuDevice(g, this._devices.length, this._processes));
        this._gpu = null;
        break;
      case AT_MIG_DEVICE:
        g.migInstances.push({
          gpuInstanceId: smiNumber(item.gi),
          computeInstanceId: smiNumber(item.ci),
          // nvidia-smi -q does not name the profile; DCGM does (GPU_I_PROFILE).
          profile: null,
          memoryUsedBytes: smiNumber(item.used),
          memoryTotalBytes: smiNumber(item.total),
          // NVML gives no utilisation per MIG instance; only DCGM's profiling metrics do.
          utilizationPercent: null
        });
        break;
      case AT_PROCESS: {
        const pid = smiNumber(item.pid);
        if (pid !== null) {
          this._processes.push({
            pid,
            gpuIndex: this._devices.length,
            gpuUuid: null, // the GPU's uuid, set when the GPU is recorded
            usedMemoryBytes: smiNumber(item.memory),
            gpuInstanceId: smiNumber(item.gi),
            computeInstanceId: smiNumber(item.ci)
          });
        }
        break;
      }
    }
  }

  private _devices: MetricsGpuDevice[] = [];
  private _processes: IGpuProcess[] = [];
  private _gpu: IGpuTexts | null = null;
  private _item: IItemTexts = {};
}

/** Past a comment (markup inside it is no markup), the DOCTYPE or the XML declaration at `lt`. */
function skipDeclaration(xml: string, lt: number): number {
  const c = xml.charCodeAt(lt + 1);
  const close = c === 63 ? '?>' : xml.startsWith('<!--', lt) ? '-->' : '>';
  const end = xml.indexOf(close, lt + 2);
  if (end < 0) {
    throw new Error('truncated XML: unterminated declaration');
  }
  return end + close.length;
}

/**
 * Where the closing tag of the element whose name is text[nameAt, nameAt + length) and whose
 * content starts at `from` begins. Its tags are walked, counting depth (start tags in, closing
 * tags out; self-closing tags, comments and declarations neither), without reading the names
 * inside; the closing tag at depth 0 must carry the element's name.
 *
 * @throws Error when the element is not closed before `limit`, or closed by another name.
 */
function elementEnd(
  text: string,
  nameAt: number,
  length: number,
  from: number,
  limit: number
): number {
  let depth = 1;
  let i = from;
  for (;;) {
    const lt = text.indexOf('<', i);
    if (lt < 0 || lt >= limit) {
      throw new Error(
        `truncated XML: <${text.slice(nameAt, nameAt + length)}> is not closed`
      );
    }
    const c = text.charCodeAt(lt + 1);
    if (c === 47 /* / */) {
      if (--depth === 0) {
        const after = lt + 2 + length;
        if (
          !sameRange(text, nameAt, lt + 2, length) ||
          (text.charCodeAt(after) !== 62 && !isSpace(text.charCodeAt(after)))
        ) {
          throw new Error(`malformed XML at ${text.slice(lt, lt + 40)}`);
        }
        return lt;
      }
      i = lt + 2;
      continue;
    }
    if (c === 33 /* ! */ || c === 63 /* ? */) {
      i = skipDeclaration(text, lt);
      continue;
    }
    const gt = text.indexOf('>', lt + 1);
    if (gt < 0 || gt >= limit) {
      throw new Error('truncated XML: unterminated tag');
    }
    if (text.charCodeAt(gt - 1) !== 47 /* not <name/> */) {
      depth++;
    }
    i = gt + 1;
  }
}

/** A device from one GPU's texts; its processes (already recorded) get its uuid. */
function gpuDevice(
  g: IGpuTexts,
  index: number,
  processes: IGpuProcess[]
): MetricsGpuDevice {
  const uuid = g.uuid ?? null;
  for (let p = g.processesFrom; p < processes.length; p++) {
    processes[p].gpuUuid = uuid;
  }
  // 535+ drivers: gpu_power_readings; older ones: power_readings. 550+ split power_draw into
  // average_power_draw and instant_power_draw.
  const power = g.power ?? g.oldPower;
  return {
    index,
    uuid,
    name: g.name ?? null,
    utilizationPercent: smiNumber(g.util),
    memoryUsedBytes: smiNumber(g.used),
    memoryTotalBytes: smiNumber(g.total),
    temperatureCelsius: smiNumber(g.temp),
    powerDrawWatts: power
      ? (smiNumber(power.power_draw) ??
        smiNumber(power.average_power_draw) ??
        smiNumber(power.instant_power_draw))
      : null,
    powerLimitWatts: power
      ? (smiNumber(power.current_power_limit) ??
        smiNumber(power.power_limit) ??
        smiNumber(power.enforced_power_limit))
      : null,
    migMode: g.currentMig === 'Enabled',
    migInstances: g.migInstances,
    processCount: g.processCount
  };
}

/**
 * Turn one `<nvidia_smi_log>` document into a reading (see the file comment).
 *
 * @throws Error when the document is truncated, malformed or not an nvidia-smi log.
 */
export function parseNvidiaSmiXml(xml: string, time = Date.now()): IGpuReading {
  return new Scan(xml).run(time);
}
