/**
 * The reference reader the targeted scanner (src/metrics/gpu/scan.ts) is checked against: the
 * generic XML tree reader and the tree-walking nvidia-smi parser that the bridge used before,
 * kept here unchanged as a test oracle (the bridge no longer ships them).
 */
import type {
  MetricsGpuDevice,
  MetricsMigInstance
} from '../../src/schema-types';
import {
  IGpuProcess,
  IGpuReading,
  smiNumber
} from '../../src/metrics/gpu/types';

/** An element: its name, attributes, child elements and trimmed text. */
export interface IXmlNode {
  name: string;
  attrs: Record<string, string>;
  children: IXmlNode[];
  text: string;
}

const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'"
};

function decode(s: string): string {
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

const TOKEN =
  /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<![^>]*>|<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[\w.:-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/g;
const ATTR = /([\w.:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

/**
 * Parse one XML document into its root element.
 *
 * @throws Error on unbalanced tags or when there is no root element.
 */
export function parseXml(text: string): IXmlNode {
  const root: IXmlNode = {
    name: '#document',
    attrs: {},
    children: [],
    text: ''
  };
  const stack: IXmlNode[] = [root];
  let last = 0;
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(text); m; m = TOKEN.exec(text)) {
    const between = text.slice(last, m.index);
    last = TOKEN.lastIndex;
    const top = stack[stack.length - 1];
    if (between.trim()) {
      top.text += decode(between.trim());
    }
    const name = m[2];
    if (!name) {
      continue; // comment, declaration, DOCTYPE
    }
    if (m[1]) {
      if (top.name !== name) {
        throw new Error(`unexpected </${name}> inside <${top.name}>`);
      }
      stack.pop();
      continue;
    }
    const node: IXmlNode = { name, attrs: {}, children: [], text: '' };
    if (m[3]) {
      ATTR.lastIndex = 0;
      for (let a = ATTR.exec(m[3]); a; a = ATTR.exec(m[3])) {
        node.attrs[a[1]] = decode(a[2] ?? a[3] ?? '');
      }
    }
    top.children.push(node);
    if (!m[4]) {
      stack.push(node);
    }
  }
  if (stack.length !== 1 || root.children.length === 0) {
    throw new Error('truncated or empty XML document');
  }
  return root.children[0];
}

/** The first child element called `name`, or undefined. */
export function child(
  node: IXmlNode | undefined,
  name: string
): IXmlNode | undefined {
  return node?.children.find(c => c.name === name);
}

/** Every child element called `name`. */
export function childrenNamed(
  node: IXmlNode | undefined,
  name: string
): IXmlNode[] {
  return node ? node.children.filter(c => c.name === name) : [];
}

/** The text at a path of child names, or undefined when any step is missing. */
export function textAt(
  node: IXmlNode | undefined,
  ...path: string[]
): string | undefined {
  let n = node;
  for (const p of path) {
    n = child(n, p);
  }
  return n?.text;
}

/** Turn one `<nvidia_smi_log>` document into a reading. */
export function referenceParseNvidiaSmiXml(
  xml: string,
  time = Date.now()
): IGpuReading {
  const root = parseXml(xml);
  if (root.name !== 'nvidia_smi_log') {
    throw new Error(`not an nvidia-smi log: <${root.name}>`);
  }
  const devices: MetricsGpuDevice[] = [];
  const processes: IGpuProcess[] = [];
  // nvidia-smi lists GPUs in PCI bus order, the order of its own indices.
  childrenNamed(root, 'gpu').forEach((gpu, index) => {
    const uuid = textAt(gpu, 'uuid') ?? null;
    const migMode = textAt(gpu, 'mig_mode', 'current_mig') === 'Enabled';
    // 535+ drivers: gpu_power_readings; older ones: power_readings. 550+ split power_draw into
    // average_power_draw and instant_power_draw.
    const power =
      child(gpu, 'gpu_power_readings') ?? child(gpu, 'power_readings');
    const draw =
      smiNumber(textAt(power, 'power_draw')) ??
      smiNumber(textAt(power, 'average_power_draw')) ??
      smiNumber(textAt(power, 'instant_power_draw'));
    const limit =
      smiNumber(textAt(power, 'current_power_limit')) ??
      smiNumber(textAt(power, 'power_limit')) ??
      smiNumber(textAt(power, 'enforced_power_limit'));
    const migInstances: MetricsMigInstance[] = childrenNamed(
      child(gpu, 'mig_devices'),
      'mig_device'
    ).map((mig: IXmlNode): MetricsMigInstance => ({
      gpuInstanceId: smiNumber(textAt(mig, 'gpu_instance_id')),
      computeInstanceId: smiNumber(textAt(mig, 'compute_instance_id')),
      // nvidia-smi -q does not name the profile; DCGM does (GPU_I_PROFILE).
      profile: null,
      memoryUsedBytes: smiNumber(textAt(mig, 'fb_memory_usage', 'used')),
      memoryTotalBytes: smiNumber(textAt(mig, 'fb_memory_usage', 'total')),
      // NVML gives no utilisation per MIG instance; only DCGM's profiling metrics do.
      utilizationPercent: null
    }));
    const procs = childrenNamed(child(gpu, 'processes'), 'process_info');
    for (const p of procs) {
      const pid = smiNumber(textAt(p, 'pid'));
      if (pid === null) {
        continue;
      }
      processes.push({
        pid,
        gpuIndex: index,
        gpuUuid: uuid,
        usedMemoryBytes: smiNumber(textAt(p, 'used_memory')),
        gpuInstanceId: smiNumber(textAt(p, 'gpu_instance_id')),
        computeInstanceId: smiNumber(textAt(p, 'compute_instance_id'))
      });
    }
    devices.push({
      index,
      uuid,
      name: textAt(gpu, 'product_name') ?? null,
      utilizationPercent: smiNumber(textAt(gpu, 'utilization', 'gpu_util')),
      memoryUsedBytes: smiNumber(textAt(gpu, 'fb_memory_usage', 'used')),
      memoryTotalBytes: smiNumber(textAt(gpu, 'fb_memory_usage', 'total')),
      temperatureCelsius: smiNumber(textAt(gpu, 'temperature', 'gpu_temp')),
      powerDrawWatts: draw,
      powerLimitWatts: limit,
      migMode,
      migInstances,
      processCount: procs.length
    });
  });
  return { time, devices, processes };
}
