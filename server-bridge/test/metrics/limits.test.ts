import { join } from 'node:path';
import {
  findCgroupDirs,
  parseProcCgroup,
  readCgroupUsage,
  readLimits
} from '../../src/metrics/limits';
import { FIXTURES } from './helpers';

const HOST_MEM = 16303428 * 1024;
const tree = (name: string, env: NodeJS.ProcessEnv = {}) => ({
  cgroupRoot: join(FIXTURES, 'cgroup', name, 'sys'),
  procRoot: join(FIXTURES, 'cgroup', name, 'proc'),
  env,
  hostCpus: 8
});

describe('container limits', () => {
  it('parses /proc/self/cgroup for v1 controllers and the v2 entry', () => {
    const m = parseProcCgroup(
      '11:memory:/docker/x\n10:cpu,cpuacct:/docker/x\n0::/a/b\n'
    );
    expect(m.get('memory')).toBe('/docker/x');
    expect(m.get('cpuacct')).toBe('/docker/x');
    expect(m.get('')).toBe('/a/b');
  });

  it('cgroup v2: takes the tightest limit from our cgroup up (pod level here)', async () => {
    const l = await readLimits(tree('v2-limited'));
    expect(l).toMatchObject({
      memLimitBytes: 4294967296,
      memSource: 'cgroup2',
      cpuLimitCores: 2.5,
      cpuSource: 'cgroup2',
      hostMemBytes: HOST_MEM
    });
    // usage: memory.current less inactive_file; cpu.stat usage_usec
    expect(await readCgroupUsage(l.cgroup)).toEqual({
      memUsedBytes: 1610612736 - 268435456,
      cpuSeconds: 123.456789
    });
  });

  it('cgroup v2 inside a cgroup namespace reads the root', async () => {
    const l = await readLimits(tree('v2-namespaced'));
    expect(l).toMatchObject({
      memLimitBytes: 2147483648,
      cpuLimitCores: 0.5,
      memSource: 'cgroup2'
    });
  });

  it('cgroup v2 "max" is no limit: env, then host', async () => {
    expect(await readLimits(tree('v2-unlimited'))).toMatchObject({
      memSource: 'host',
      memLimitBytes: HOST_MEM,
      cpuSource: 'host',
      cpuLimitCores: 8
    });
    expect(
      await readLimits(
        tree('v2-unlimited', { MEM_LIMIT: '1073741824', CPU_LIMIT: '1.5' })
      )
    ).toMatchObject({
      memSource: 'env',
      memLimitBytes: 1073741824,
      cpuSource: 'env',
      cpuLimitCores: 1.5
    });
  });

  it('cgroup v1: limit_in_bytes and cfs quota/period', async () => {
    const l = await readLimits(tree('v1-limited'));
    expect(l).toMatchObject({
      memLimitBytes: 3221225472,
      memSource: 'cgroup1',
      cpuLimitCores: 1.5,
      cpuSource: 'cgroup1'
    });
    expect(await readCgroupUsage(l.cgroup)).toEqual({
      memUsedBytes: 1073741824 - 134217728,
      cpuSeconds: 98.7654321
    });
  });

  it('cgroup v1: 9223372036854771712 and quota -1 are not limits', async () => {
    expect(await readLimits(tree('v1-unlimited'))).toMatchObject({
      memSource: 'host',
      memLimitBytes: HOST_MEM,
      cpuSource: 'host'
    });
    // ...so the spawner's MEM_LIMIT / CPU_LIMIT apply
    expect(
      await readLimits(
        tree('v1-unlimited', { MEM_LIMIT: '2147483648', CPU_LIMIT: '2' })
      )
    ).toMatchObject({
      memSource: 'env',
      memLimitBytes: 2147483648,
      cpuLimitCores: 2
    });
  });

  it('cgroup v1: a limit above host RAM is not a limit', async () => {
    expect(await readLimits(tree('v1-above-host'))).toMatchObject({
      memSource: 'host'
    });
  });

  it('a cgroup limit wins over env; env over host; garbage env is ignored', async () => {
    expect(
      await readLimits(
        tree('v1-limited', { MEM_LIMIT: '1000', CPU_LIMIT: '0.1' })
      )
    ).toMatchObject({ memSource: 'cgroup1', cpuSource: 'cgroup1' });
    expect(
      await readLimits(tree('none', { MEM_LIMIT: 'lots', CPU_LIMIT: '-1' }))
    ).toMatchObject({ memSource: 'host', cpuSource: 'host', cgroup: null });
    expect(
      await findCgroupDirs(tree('none').cgroupRoot, tree('none').procRoot)
    ).toBeNull();
  });
});
