import { nullTranslator } from '@jupyterlab/translation';
import {
  gpuStateText,
  kernelLabel,
  limitSourceText,
  pidsHiddenText
} from '../src/describe';
import {
  basename,
  formatBytePair,
  formatBytesOrUnknown,
  formatPercentValue,
  formatWithUnit
} from '../src/format';
import { normalizeSettings } from '../src/settings';
import { cpuLevel, percentOf, usageLevel, worstLevel } from '../src/usage';
import { gpu, kernel, noDriver } from './fixtures';

const trans = nullTranslator.load('mlinfn');

describe('formatting', () => {
  it('writes two amounts in the unit of the larger', () => {
    expect(formatBytePair(3.2e9, 16e9)).toBe('3.2 / 16 GB');
    expect(formatBytePair(512e6, 16e9)).toBe('0.5 / 16 GB');
    expect(formatBytePair(5131 * 1048576, 15360 * 1048576)).toBe(
      '5.4 / 16.1 GB'
    );
    expect(formatBytePair(900, 999)).toBe('900 / 999 B');
    expect(formatBytePair(null, 16e9)).toBe('— / 16 GB');
    expect(formatBytePair(1e9, null)).toBe('1 GB / —');
  });

  it('never writes an unknown figure as zero', () => {
    expect(formatPercentValue(null)).toBe('—');
    expect(formatPercentValue(0)).toBe('0 %');
    expect(formatPercentValue(42.4)).toBe('42 %');
    expect(formatBytesOrUnknown(null)).toBe('—');
    expect(formatBytesOrUnknown(0)).toBe('0 B');
    expect(formatWithUnit(null, 'W')).toBe('—');
    expect(formatWithUnit(34.52, 'W', 1)).toBe('34.5 W');
    expect(basename('a/b/c.ipynb')).toBe('c.ipynb');
  });

  it('grades figures against their thresholds', () => {
    expect(usageLevel(null, 90)).toBe('ok');
    expect(usageLevel(79.9, 90)).toBe('ok');
    expect(usageLevel(80, 90)).toBe('warning');
    expect(usageLevel(90, 90)).toBe('critical');
    expect(cpuLevel(95)).toBe('warning');
    expect(cpuLevel(null)).toBe('ok');
    expect(worstLevel('warning', 'critical')).toBe('critical');
    expect(worstLevel('warning', 'ok')).toBe('warning');
    expect(percentOf(1, 0)).toBeNull();
    expect(percentOf(null, 4)).toBeNull();
    expect(percentOf(1, 4)).toBe(25);
  });

  it('puts the GPU state, the limit source and kernels in words', () => {
    expect(gpuStateText(gpu(), trans)).toBeNull();
    expect(gpuStateText(noDriver(), trans)).toBe(
      'No GPU: the NVIDIA driver is not loaded on this machine.'
    );
    expect(gpuStateText({ ...noDriver(), status: 'no-gpu' }, trans)).toMatch(
      /^No GPU: the NVIDIA driver is loaded/
    );
    expect(pidsHiddenText(trans)).toMatch(
      /^GPU processes are not visible from this container/
    );
    expect(limitSourceText('cgroup2', 'memory', trans)).toBe(
      'limit from cgroup v2'
    );
    expect(limitSourceText('env', 'memory', trans)).toBe(
      'limit from MEM_LIMIT'
    );
    expect(limitSourceText('env', 'cpu', trans)).toBe('limit from CPU_LIMIT');
    expect(kernelLabel(kernel(), trans)).toBe('analysis.ipynb');
    expect(
      kernelLabel(kernel({ notebooks: ['a.ipynb', 'b.ipynb'] }), trans)
    ).toBe('a.ipynb (+1)');
    expect(kernelLabel(kernel({ notebooks: [] }), trans)).toBe(
      'python3 kernel (no notebook)'
    );
  });

  it('keeps valid settings and replaces invalid ones by their defaults', () => {
    expect(
      normalizeSettings({
        refreshInterval: 5,
        memoryWarningPercent: 'high',
        showGpu: false,
        notifications: 1
      })
    ).toEqual({
      refreshInterval: 5,
      memoryWarningPercent: 90,
      gpuMemoryWarningPercent: 90,
      showCpu: true,
      showMemory: true,
      showGpu: false,
      notifications: true
    });
  });
});
