// The GPU stand-in shared by both sides of monitor-gpu-sample-cpu: a directory to put alone on
// PATH, holding
//   nvidia-smi  a /bin/sh script that replays recorded-format output of eight H100s: the
//               `nvidia-smi -q -x` document of server-bridge's test fixtures for `-q -x -lms N`
//               (our loop), and the same GPUs as systeminformation's
//               `--query-gpu=... --format=csv,noheader,nounits` (one call per sample)
//   lspci       `lspci -vvv` of the same machine: systeminformation asks nvidia-smi only about
//               the controllers lspci lists
//   cat sleep grep awk   links to the system's, for systeminformation's pipes
// Nothing else: xrandr, xdpyinfo, clinfo and dmidecode are absent, as on a headless GPU server,
// so that systeminformation's other probes cost as little as they can (a shell that fails).
//
// What it models (MODEL below, printed as a `#` line): a real tool is one process. A real
// `nvidia-smi -q -x -lms N` is ONE process for the loop's whole life that writes a document
// every N ms and forks nothing per document; the stand-in loop is one bash process that reads
// the recorded document once at start and prints it with builtins (printf) every N ms, waiting
// with the builtin `read -t`: no fork, no exec per document (and glibc keeps the memory bash
// expands the document into, rather than returning it and faulting it in again each tick). A
// real `nvidia-smi --query-gpu` or `lspci -vvv` is one process per call (fork + exec, then its
// own work); the stand-ins are one /bin/sh per call that prints the recorded text with the
// builtin printf (the text is in the script): fork + exec of the shell, nothing else. Neither
// side pays the driver (NVML) nor the real tools' own work (lspci reads PCI config space and
// pci.ids); see bench/README.md.
import { execFileSync } from 'node:child_process';
import {
  accessSync,
  chmodSync,
  constants,
  mkdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync
} from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const XML_FIXTURE = path.resolve(
  here,
  '..',
  '..',
  'server-bridge',
  'test',
  'fixtures',
  'metrics',
  'nvidia-smi',
  'h100-eight.xml'
);

/** systeminformation's query fields, in its order (lib/graphics.js, nvidiaSmi()). */
const CSV_FIELDS = [
  'driver_version',
  'pci.sub_device_id',
  'name',
  'pci.bus_id',
  'fan.speed',
  'memory.total',
  'memory.used',
  'memory.free',
  'utilization.gpu',
  'utilization.memory',
  'temperature.gpu',
  'temperature.memory',
  'power.draw',
  'power.limit',
  'clocks.gr',
  'clocks.mem'
];

/** The text of the first <tag> under a block (shallow regex reading of the fixture). */
function tag(block, name) {
  const m = new RegExp(`<${name}>([^<]*)</${name}>`).exec(block);
  return m ? m[1].trim() : 'N/A';
}

/** `nounits` formatting: "81559 MiB" → "81559", "N/A" → "[N/A]" (as nvidia-smi prints it). */
function nounits(v) {
  if (v === 'N/A') {
    return '[N/A]';
  }
  return v.replace(/\s*(MiB|%|C|W|MHz)$/, '');
}

/** One CSV line per GPU of the XML document, as `--query-gpu=<fields> --format=csv,noheader,nounits`. */
export function csvFromXml(xml) {
  const driver = tag(xml, 'driver_version');
  const gpus = xml.split('<gpu id=').slice(1);
  return gpus
    .map(g => {
      const section = (name, inner) => {
        const m = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(g);
        return m ? tag(m[1], inner) : 'N/A';
      };
      const power =
        section('gpu_power_readings', 'average_power_draw') !== 'N/A'
          ? section('gpu_power_readings', 'average_power_draw')
          : section('gpu_power_readings', 'instant_power_draw');
      const values = {
        driver_version: driver,
        'pci.sub_device_id': `0x${tag(g, 'pci_sub_system_id')}`,
        name: tag(g, 'product_name'),
        'pci.bus_id': tag(g, 'pci_bus_id'),
        'fan.speed': tag(g, 'fan_speed'),
        'memory.total': section('fb_memory_usage', 'total'),
        'memory.used': section('fb_memory_usage', 'used'),
        'memory.free': section('fb_memory_usage', 'free'),
        'utilization.gpu': section('utilization', 'gpu_util'),
        'utilization.memory': section('utilization', 'memory_util'),
        'temperature.gpu': section('temperature', 'gpu_temp'),
        'temperature.memory': section('temperature', 'memory_temp'),
        'power.draw': power,
        'power.limit': section('gpu_power_readings', 'current_power_limit'),
        'clocks.gr': section('clocks', 'graphics_clock'),
        'clocks.mem': section('clocks', 'mem_clock')
      };
      return CSV_FIELDS.map(f => nounits(values[f])).join(', ');
    })
    .join('\n')
    .concat('\n');
}

/** `lspci -vvv` (as a non-root user) of an 8×H100 SXM5 server with a BMC display. */
export function lspciFromXml(xml) {
  const busIds = [...xml.matchAll(/<pci_bus_id>([^<]+)<\/pci_bus_id>/g)].map(
    m =>
      m[1]
        .replace(/^0000/, '')
        .replace(/^0000:/, '')
        .toLowerCase()
  );
  const dev = (addr, cls, name, extra) =>
    `${addr} ${cls}: ${name}\n${extra.map(l => `\t${l}`).join('\n')}\n`;
  const common = [
    'Control: I/O- Mem+ BusMaster+ SpecCycle- MemWINV- VGASnoop- ParErr+ Stepping- SERR+ FastB2B- DisINTx+',
    'Status: Cap+ 66MHz- UDF- FastB2B- ParErr- DEVSEL=fast >TAbort- <TAbort- <MAbort- >SERR- <PERR- INTx-',
    'Latency: 0',
    'Capabilities: <access denied>'
  ];
  const out = [];
  out.push(
    dev(
      '00:00.0',
      'Host bridge',
      'Intel Corporation Sky Lake-E DMI3 Registers (rev 04)',
      ['Subsystem: Intel Corporation Device 0000', ...common]
    )
  );
  for (let i = 0; i < 6; i++) {
    out.push(
      dev(
        `00:0${i + 4}.0`,
        'System peripheral',
        'Intel Corporation Sky Lake-E CBDMA Registers (rev 04)',
        ['Subsystem: Intel Corporation Device 0000', ...common]
      )
    );
  }
  out.push(
    dev(
      '03:00.0',
      'VGA compatible controller',
      'ASPEED Technology, Inc. ASPEED Graphics Family (rev 52)',
      [
        'DeviceName: ASPEED AST2600',
        'Subsystem: ASPEED Technology, Inc. ASPEED Graphics Family',
        ...common.slice(0, 3),
        'Interrupt: pin A routed to IRQ 16',
        'NUMA node: 0',
        'Region 0: Memory at 94000000 (32-bit, non-prefetchable) [size=64M]',
        'Region 1: Memory at 98000000 (32-bit, non-prefetchable) [size=256K]',
        'Region 2: I/O ports at 2000 [size=128]',
        'Capabilities: <access denied>',
        'Kernel driver in use: ast',
        'Kernel modules: ast'
      ]
    )
  );
  for (const [i, bus] of busIds.entries()) {
    out.push(
      dev(
        bus,
        '3D controller',
        'NVIDIA Corporation GH100 [H100 SXM5 80GB] (rev a1)',
        [
          'Subsystem: NVIDIA Corporation GH100 [H100 SXM5 80GB]',
          `Physical Slot: ${i + 1}`,
          ...common.slice(0, 3),
          'Interrupt: pin A routed to IRQ 18',
          `NUMA node: ${i < 4 ? 0 : 1}`,
          `IOMMU group: ${30 + i}`,
          `Region 0: Memory at ${(0xe8 + i * 2).toString(16)}000000 (32-bit, non-prefetchable) [size=16M]`,
          `Region 2: Memory at ${(0x232 + i * 4).toString(16)}000000000 (64-bit, prefetchable) [size=128G]`,
          `Region 4: Memory at ${(0x234 + i * 4).toString(16)}000000000 (64-bit, prefetchable) [size=32M]`,
          'Capabilities: <access denied>',
          'Kernel driver in use: nvidia',
          'Kernel modules: nvidiafb, nouveau, nvidia_drm, nvidia'
        ]
      )
    );
    out.push(
      dev(
        bus.replace(/\.0$/, '.1'),
        'Bridge',
        'NVIDIA Corporation Device 22a3 (rev a1)',
        ['Subsystem: NVIDIA Corporation Device 1796', ...common]
      )
    );
  }
  for (let i = 0; i < 8; i++) {
    out.push(
      dev(
        `${(0x1a + i * 0x12).toString(16)}:00.0`,
        'Infiniband controller',
        'Mellanox Technologies MT2910 Family [ConnectX-7]',
        [
          'Subsystem: Mellanox Technologies Device 0026',
          ...common,
          'Kernel driver in use: mlx5_core',
          'Kernel modules: mlx5_core'
        ]
      )
    );
  }
  for (let i = 0; i < 4; i++) {
    out.push(
      dev(
        `c${i}:00.0`,
        'Non-Volatile memory controller',
        'Samsung Electronics Co Ltd NVMe SSD Controller PM173X',
        [
          'Subsystem: Samsung Electronics Co Ltd Device a813',
          ...common,
          'Kernel driver in use: nvme',
          'Kernel modules: nvme'
        ]
      )
    );
  }
  return out.join('\n');
}

function which(cmd) {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
    const p = path.join(dir, cmd);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not there
    }
  }
  return `/usr/bin/${cmd}`;
}

/** A shell word holding `text` as it is (single quotes; a quote as '\''). */
function shQuote(text) {
  return `'${text.replace(/'/g, "'\\''")}'`;
}

/** What the stand-in models, in one line (the benchmark prints it as a `#` line). */
export const MODEL =
  'nvidia-smi -q -x -lms N: one long-lived bash process printing the recorded document with builtins every N ms ' +
  '(read once at start; no fork per document, as a real nvidia-smi loop; a malloc top pad so bash does not re-fault ' +
  'its copy each tick); nvidia-smi --query-gpu and lspci -vvv: ' +
  'one /bin/sh per call printing the recorded text with the builtin printf (a real tool is one process per call; ' +
  'its own work, NVML or PCI config reads, is not modelled on either side)';

/**
 * Write the stand-in into `dir` (a fresh temporary directory); returns {bin, gpus}: the
 * directory to use as PATH, and the number of GPUs it reports.
 */
export function makeGpuStandIn(dir) {
  const bin = path.join(dir, 'bin');
  const data = path.join(dir, 'data');
  mkdirSync(bin, { recursive: true });
  mkdirSync(data, { recursive: true });
  const xml = readFileSync(XML_FIXTURE, 'utf8');
  const xmlPath = path.join(data, 'nvidia-smi-q-x.xml');
  writeFileSync(xmlPath, xml);
  // The -lms loop: bash reads the document into a variable once (builtin read, no fork), then
  // prints it with the builtin printf and waits with the builtin `read -t` on a FIFO nobody
  // writes: one process, no fork or exec per document.
  const fifoPath = path.join(data, 'never-written.fifo');
  execFileSync('mkfifo', [fifoPath]);
  const loop = `# the stand-in's -lms loop: one process, nothing forked per document
IFS= read -r -d '' doc < '${xmlPath}'
exec 3<>'${fifoPath}'
while :; do
  printf '%s' "$doc" || exit 1
  read -r -t "$1" -u 3 _
done
`;
  const loopPath = path.join(data, 'nvidia-smi-loop.bash');
  writeFileSync(loopPath, loop);
  const smi = `#!/bin/sh
# Benchmark stand-in for nvidia-smi: replaces a real GPU (recorded-format output of 8 H100s).
ms=
csv=
while [ $# -gt 0 ]; do
  case "$1" in
    -lms|--loop-ms) ms="$2"; shift ;;
    --loop-ms=*) ms="\${1#*=}" ;;
    --query-gpu=*) csv=1 ;;
  esac
  shift
done
if [ -n "$csv" ]; then
  # one process per call, as the real tool; the rows are printed by the shell itself
  printf '%s' ${shQuote(csvFromXml(xml))}
  exit 0
fi
if [ -z "$ms" ]; then
  # a one-shot -q -x (neither side of the benchmark asks for it)
  exec cat '${xmlPath}'
fi
s=$((ms / 1000)); r=$((ms % 1000))
if [ $r -lt 10 ]; then r=00$r; elif [ $r -lt 100 ]; then r=0$r; fi
# bash expands the 85 KB document into fresh memory each tick; without a top pad, glibc gives
# it back to the kernel and faults it in again every time (~100 page faults a document), a cost
# of the stand-in, not of what it stands for (a real nvidia-smi prints from its own buffers)
MALLOC_TOP_PAD_=4194304
export MALLOC_TOP_PAD_
exec /bin/bash '${loopPath}' $s.$r
`;
  const lspci = `#!/bin/sh
# Benchmark stand-in for lspci: the PCI devices of an 8×H100 server (replaces a real GPU machine),
# printed by the shell itself: one process per call, as the real tool.
printf '%s' ${shQuote(lspciFromXml(xml))}
`;
  writeFileSync(path.join(bin, 'nvidia-smi'), smi);
  writeFileSync(path.join(bin, 'lspci'), lspci);
  chmodSync(path.join(bin, 'nvidia-smi'), 0o755);
  chmodSync(path.join(bin, 'lspci'), 0o755);
  for (const tool of ['cat', 'sleep', 'grep', 'awk']) {
    symlinkSync(which(tool), path.join(bin, tool));
  }
  return { bin, gpus: (xml.match(/<gpu id=/g) ?? []).length };
}
