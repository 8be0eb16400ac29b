/**
 * The monitor's states in words (translated), shared by the views. Nothing here pretends:
 * what cannot be seen is said plainly, never shown as zero.
 */
import type {
  MetricsGpu,
  MetricsKernel,
  MetricsLimitSource
} from '@mlinfn/common';
import { TranslationBundle } from '@jupyterlab/translation';
import { basename } from './format';

/**
 * One sentence on the GPU state when it is not `ok` (and `null` when it is).
 */
export function gpuStateText(
  gpu: MetricsGpu,
  trans: TranslationBundle
): string | null {
  switch (gpu.status) {
    case 'ok':
      return null;
    case 'starting':
      return trans.__('Reading the GPUs…');
    case 'no-driver':
      return trans.__(
        'No GPU: the NVIDIA driver is not loaded on this machine.'
      );
    case 'no-gpu':
      return trans.__(
        'No GPU: the NVIDIA driver is loaded, but it finds no GPU on this machine.'
      );
    case 'disabled':
      return trans.__(
        'GPU monitoring is turned off in the bridge configuration.'
      );
    case 'error':
    default:
      return trans.__(
        'The GPUs cannot be read just now; the monitor keeps trying by itself.'
      );
  }
}

/**
 * The statement shown where GPU processes cannot be mapped to kernels.
 */
export function pidsHiddenText(trans: TranslationBundle): string {
  return trans.__(
    'GPU processes are not visible from this container, so GPU memory cannot be attributed to notebooks.'
  );
}

/**
 * Where a limit comes from: "limit from cgroup v2", "limit from MEM_LIMIT", …
 */
export function limitSourceText(
  source: MetricsLimitSource,
  kind: 'memory' | 'cpu',
  trans: TranslationBundle
): string {
  switch (source) {
    case 'cgroup2':
      return trans.__('limit from cgroup v2');
    case 'cgroup1':
      return trans.__('limit from cgroup v1');
    case 'env':
      return kind === 'memory'
        ? trans.__('limit from MEM_LIMIT')
        : trans.__('limit from CPU_LIMIT');
    case 'host':
    default:
      return trans.__('no container limit: the whole machine');
  }
}

/**
 * What a kernel is called in the views: its notebook's file name, else its kernel name.
 */
export function kernelLabel(
  kernel: MetricsKernel,
  trans: TranslationBundle
): string {
  const first = kernel.notebooks[0];
  if (!first) {
    return trans.__('%1 kernel (no notebook)', kernel.name);
  }
  const name = basename(first);
  return kernel.notebooks.length > 1
    ? trans.__('%1 (+%2)', name, kernel.notebooks.length - 1)
    : name;
}
