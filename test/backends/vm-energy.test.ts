/** Per-VM energy from CPU time (the fallback without counters or RAPL): hand-computed intervals and the sum rule. */
import { describe, expect, it } from 'vitest';
import { VmEnergyMeter } from '../../src/backends/qemu/vm-energy.js';
import { linearPowerModel } from '../../src/model/power-model.js';

describe('VmEnergyMeter', () => {
  const power = linearPowerModel('test', 100, 200); // 100 W idle, 200 W at full load

  it('splits dynamic energy by CPU time and idle energy equally (hand-computed)', () => {
    const meter = new VmEnergyMeter(power, 2);
    meter.sample(0, [{ name: 'a', vcpus: 1, cpuSeconds: 0 }, { name: 'b', vcpus: 2, cpuSeconds: 0 }]);
    // 10 s: a used 5 CPU-s, b 1 CPU-s; utilisation 6 / 20 = 0.3 → 130 W → 1300 J: 300 J dynamic (5:1), 1000 J idle (1:1).
    meter.sample(10, [{ name: 'a', vcpus: 1, cpuSeconds: 5 }, { name: 'b', vcpus: 2, cpuSeconds: 1 }]);
    expect(meter.energyJoules('a')).toBeCloseTo(250 + 500, 9);
    expect(meter.energyJoules('b')).toBeCloseTo(50 + 500, 9);
    expect(meter.hostEnergyJoules).toBeCloseTo(1300, 9);
  });

  it('follows the idle rule, and the sum over VMs is the host energy', () => {
    const byVcpus = new VmEnergyMeter(power, 2, 'by-vcpus');
    const byCpu = new VmEnergyMeter(power, 2, 'by-cpu-time');
    for (const meter of [byVcpus, byCpu]) {
      meter.sample(0, [{ name: 'a', vcpus: 1, cpuSeconds: 0 }, { name: 'b', vcpus: 3, cpuSeconds: 0 }]);
      meter.sample(4, [{ name: 'a', vcpus: 1, cpuSeconds: 3 }, { name: 'b', vcpus: 3, cpuSeconds: 1 }]);
      expect(meter.energyJoules('a') + meter.energyJoules('b')).toBeCloseTo(meter.hostEnergyJoules, 9);
    }
    // 4 s at u = 0.5 → 150 W: 200 J dynamic (3:1), 400 J idle.
    expect(byVcpus.energyJoules('a')).toBeCloseTo(150 + 100, 9);
    expect(byCpu.energyJoules('a')).toBeCloseTo(150 + 300, 9);
  });

  it('a VM that joins later is charged from its second sample on', () => {
    const meter = new VmEnergyMeter(power, 1);
    meter.sample(0, [{ name: 'a', vcpus: 1, cpuSeconds: 0 }]);
    meter.sample(1, [{ name: 'a', vcpus: 1, cpuSeconds: 1 }, { name: 'late', vcpus: 1, cpuSeconds: 50 }]);
    expect(meter.energyJoules('late')).toBeCloseTo(50, 9); // idle share only: its 50 s came before
    expect(meter.energyJoules('a')).toBeCloseTo(100 + 50, 9); // u = 1: 100 J dynamic, half of 100 J idle
  });
});
