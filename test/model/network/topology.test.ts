/**
 * Pins the star and rack topologies: link ids and routes, NIC sharing, rack-uplink contention against
 * same-rack traffic that bypasses the uplinks, latencies, and bad input.
 */
import { describe, expect, it } from 'vitest';
import { FlowNetwork } from '../../../src/model/network/flow-network.js';
import { starTopology } from '../../../src/model/network/topology.js';

describe('starTopology without racks', () => {
  const options = { hosts: 4, nicBandwidthBytesPerSecond: 100, nicLatencySeconds: 0.001 };

  it('gives each host an uplink and a downlink, and routes through both', () => {
    const topology = starTopology(options);
    expect(topology.network.linkCount).toBe(8);
    expect([topology.hostUplink(2), topology.hostDownlink(2)]).toEqual([4, 5]);
    const out = new Int32Array(2);
    expect(topology.route(2, 0, out)).toBe(2);
    expect(Array.from(out)).toEqual([4, 1]);
    expect(topology.routeLatencySeconds(2, 0)).toBe(0.002);
    expect(topology.rackOf(3)).toBe(-1);
    expect(topology.maxRouteLength).toBe(2);
  });

  it('full duplex: a host sends and receives at full NIC rate at once; two senders share a receiver', () => {
    const topology = starTopology(options);
    const network = topology.network;
    const out = topology.startFlowBetweenHosts(0, 0, 1, Infinity);
    const back = topology.startFlowBetweenHosts(0, 1, 0, Infinity);
    expect([network.rate(out), network.rate(back)]).toEqual([100, 100]);
    const other = topology.startFlowBetweenHosts(0, 2, 1, Infinity); // shares host 1's downlink with `out`
    expect([network.rate(out), network.rate(other), network.rate(back)]).toEqual([50, 50, 100]);
    // A migration capped below its fair share leaves the rest of the receiving NIC to the other flow.
    network.setFlowCap(1, other, 20);
    expect([network.rate(out), network.rate(other)]).toEqual([80, 20]);
  });

  it('has no route from a host to itself', () => {
    const topology = starTopology(options);
    expect(() => topology.route(1, 1)).toThrow(/to itself/);
    expect(() => topology.route(0, 4)).toThrow(/not a host/);
  });
});

describe('starTopology with racks', () => {
  // Hosts 0, 1, 2 in rack 0; 3, 4, 5 in rack 1; 6 alone in rack 2.
  const options = {
    hosts: 7,
    nicBandwidthBytesPerSecond: 100,
    nicLatencySeconds: 0.001,
    racks: { hostsPerRack: 3, uplinkBandwidthBytesPerSecond: 120, uplinkLatencySeconds: 0.01 },
  };

  it('routes across racks through both rack uplinks, and within a rack through the NICs only', () => {
    const topology = starTopology(options);
    expect(topology.rackCount).toBe(3);
    expect(topology.network.linkCount).toBe(2 * 7 + 2 * 3);
    expect([topology.rackUplink(0), topology.rackDownlink(2)]).toEqual([14, 19]);
    const out = new Int32Array(4);
    expect(topology.route(1, 6, out)).toBe(4);
    expect(Array.from(out)).toEqual([topology.hostUplink(1), topology.rackUplink(0), topology.rackDownlink(2), topology.hostDownlink(6)]);
    expect(topology.route(1, 2, out)).toBe(2);
    expect(Array.from(out.subarray(0, 2))).toEqual([topology.hostUplink(1), topology.hostDownlink(2)]);
    expect(topology.routeLatencySeconds(1, 6)).toBeCloseTo(0.022, 15);
    expect(topology.routeLatencySeconds(1, 2)).toBe(0.002);
    expect(() => topology.route(0, 4, new Int32Array(2))).toThrow(/room for 2/);
  });

  it('cross-rack flows contend on the rack uplink; same-rack traffic does not use it', () => {
    const topology = starTopology(options);
    const network = topology.network;
    // Three flows leave rack 0 for rack 1: rack 0's uplink (120) is the bottleneck, 40 each.
    const cross = [
      topology.startFlowBetweenHosts(0, 0, 3, Infinity),
      topology.startFlowBetweenHosts(0, 1, 4, Infinity),
      topology.startFlowBetweenHosts(0, 2, 5, Infinity),
    ];
    expect(cross.map((f) => network.rate(f))).toEqual([40, 40, 40]);
    // Same-rack traffic 1 → 0 shares host 1's NIC uplink with a cross flow but not the rack uplink:
    // host 1's uplink has 100 for two flows; the cross flow 1 → 4 cannot exceed 40 anyway (rack uplink),
    // so the local flow gets the other 60 (max-min: the leftover goes to the flow not held elsewhere).
    const local = topology.startFlowBetweenHosts(0, 1, 0, Infinity);
    expect(network.rate(local)).toBe(60);
    expect(cross.map((f) => network.rate(f))).toEqual([40, 40, 40]);
    expect(network.linkLoadBytesPerSecond(topology.rackUplink(0))).toBe(120);
    // When the two other cross flows end, the rack uplink is no longer the bottleneck: host 1's NIC uplink
    // (100) is, shared equally by the remaining cross flow and the local flow.
    network.endFlow(1, cross[0]);
    network.endFlow(1, cross[2]);
    expect([network.rate(cross[1]), network.rate(local)]).toEqual([50, 50]);
  });

  it('adds its links after those of an existing network', () => {
    const network = new FlowNetwork();
    network.addLink(10, 0);
    const topology = starTopology({ ...options, network });
    expect(topology.network).toBe(network);
    expect(topology.hostUplink(0)).toBe(1);
    expect(topology.rackDownlink(2)).toBe(1 + 2 * 7 + 2 * 2 + 1);
  });

  it('reports every bad option at once', () => {
    const racks = { hostsPerRack: 1.5, uplinkBandwidthBytesPerSecond: 1, uplinkLatencySeconds: -1 };
    expect(() => starTopology({ hosts: 0, nicBandwidthBytesPerSecond: -1, nicLatencySeconds: 0, racks })).toThrow(
      /hosts must be.*nicBandwidthBytesPerSecond.*hostsPerRack.*uplinkLatencySeconds/,
    );
  });
});
