/**
 * Data-center topologies built on a {@link FlowNetwork}: hosts with a full-duplex NIC on a non-blocking switch,
 * optionally grouped in racks whose top-of-rack switches reach a core switch through a shared full-duplex
 * uplink.
 *
 * A full-duplex NIC is two directed links, host → switch ("uplink") and switch → host ("downlink"), each with
 * the NIC's bandwidth, so a host can send and receive at full rate at the same time. A non-blocking switch has
 * no link of its own: its backplane never limits traffic, only the links around it do. With racks, each rack's
 * uplink to the core is likewise two directed links shared by every host of the rack; traffic between two
 * hosts of the same rack turns at the top-of-rack switch and never touches them.
 *
 * Link ids, from the network's first free id `base` at construction: host h's uplink is base + 2h and its
 * downlink base + 2h + 1; then rack r's uplink (rack → core) is base + 2·hosts + 2r and its downlink
 * (core → rack) base + 2·hosts + 2r + 1. Routes are:
 * - without racks, or both hosts in one rack: [uplink(source), downlink(target)];
 * - across racks: [uplink(source), rackUplink(rack(source)), rackDownlink(rack(target)), downlink(target)].
 *
 * @example
 * ```ts
 * const topology = starTopology({ hosts: 250, nicBandwidthBytesPerSecond: 1.25e9, nicLatencySeconds: 25e-6,
 *   racks: { hostsPerRack: 25, uplinkBandwidthBytesPerSecond: 5e9, uplinkLatencySeconds: 25e-6 } });
 * const length = topology.route(3, 140); // into topology.routeBuffer
 * const flow = topology.network.startFlow(now, topology.routeBuffer, Infinity, 1e9, length);
 * ```
 */
import { FlowNetwork } from './flow-network.js';

/** Racks of a {@link starTopology}: consecutive hosts share a top-of-rack switch and its uplink to the core. */
export interface RackOptions {
  /** Hosts per rack: hosts 0 … hostsPerRack − 1 form rack 0, and so on; the last rack may be partial. Integer ≥ 1. */
  hostsPerRack: number;
  /** Bandwidth of a rack's uplink in each direction, bytes per second; finite, > 0. */
  uplinkBandwidthBytesPerSecond: number;
  /** One-way latency of a rack's uplink (top-of-rack switch to core), seconds; ≥ 0. */
  uplinkLatencySeconds: number;
}

/** Parameters of {@link starTopology}. */
export interface StarTopologyOptions {
  /** Number of hosts, integer ≥ 1; hosts are numbered 0 … hosts − 1. */
  hosts: number;
  /** Bandwidth of each host's NIC in each direction, bytes per second; finite, > 0 (10 Gb/s = 1.25e9). */
  nicBandwidthBytesPerSecond: number;
  /** One-way latency of a NIC link (host to its switch), seconds; ≥ 0. */
  nicLatencySeconds: number;
  /** Group hosts in racks with a shared uplink to a core switch. Default: one switch, no racks. */
  racks?: RackOptions;
  /** Add the links to this network (after its existing links) instead of a new one. */
  network?: FlowNetwork;
}

/** A star (or two-level rack) topology: the network, link ids by role, and routes between hosts. */
export class StarTopology {
  /** The network holding the topology's links. Start and end flows on it directly. */
  readonly network: FlowNetwork;
  /** Number of hosts. */
  readonly hostCount: number;
  /** Number of racks; 0 without racks. */
  readonly rackCount: number;
  /** Hosts per rack; 0 without racks. */
  readonly hostsPerRack: number;
  /** Longest route, in links: 2 without racks, 4 with. */
  readonly maxRouteLength: number;
  /** The buffer {@link route} fills when no `out` is given; overwritten by the next such call. */
  readonly routeBuffer: Int32Array;
  // Id of host 0's uplink in the network.
  private readonly base: number;

  constructor(options: StarTopologyOptions) {
    const { hosts, nicBandwidthBytesPerSecond, nicLatencySeconds, racks } = options;
    const problems: string[] = [];
    if (!(Number.isInteger(hosts) && hosts >= 1)) problems.push(`hosts must be an integer ≥ 1, got ${hosts}`);
    if (!(nicBandwidthBytesPerSecond > 0 && nicBandwidthBytesPerSecond < Infinity)) {
      problems.push(`nicBandwidthBytesPerSecond must be finite and > 0, got ${nicBandwidthBytesPerSecond}`);
    }
    if (!(nicLatencySeconds >= 0 && nicLatencySeconds < Infinity)) problems.push(`nicLatencySeconds must be finite and ≥ 0, got ${nicLatencySeconds}`);
    if (racks !== undefined) {
      if (!(Number.isInteger(racks.hostsPerRack) && racks.hostsPerRack >= 1)) {
        problems.push(`racks.hostsPerRack must be an integer ≥ 1, got ${racks.hostsPerRack}`);
      }
      if (!(racks.uplinkBandwidthBytesPerSecond > 0 && racks.uplinkBandwidthBytesPerSecond < Infinity)) {
        problems.push(`racks.uplinkBandwidthBytesPerSecond must be finite and > 0, got ${racks.uplinkBandwidthBytesPerSecond}`);
      }
      if (!(racks.uplinkLatencySeconds >= 0 && racks.uplinkLatencySeconds < Infinity)) {
        problems.push(`racks.uplinkLatencySeconds must be finite and ≥ 0, got ${racks.uplinkLatencySeconds}`);
      }
    }
    if (problems.length > 0) throw new RangeError(`starTopology: ${problems.join('; ')}`);

    this.hostCount = hosts;
    this.hostsPerRack = racks === undefined ? 0 : racks.hostsPerRack;
    this.rackCount = racks === undefined ? 0 : Math.ceil(hosts / racks.hostsPerRack);
    this.maxRouteLength = racks === undefined ? 2 : 4;
    this.routeBuffer = new Int32Array(this.maxRouteLength);
    const linkCount = 2 * hosts + 2 * this.rackCount;
    this.network = options.network ?? new FlowNetwork({ initialLinks: linkCount, initialFlows: Math.max(256, 4 * hosts) });
    this.base = this.network.linkCount;
    for (let host = 0; host < hosts; host++) {
      this.network.addLink(nicBandwidthBytesPerSecond, nicLatencySeconds); // uplink, base + 2h
      this.network.addLink(nicBandwidthBytesPerSecond, nicLatencySeconds); // downlink, base + 2h + 1
    }
    if (racks !== undefined) {
      for (let rack = 0; rack < this.rackCount; rack++) {
        this.network.addLink(racks.uplinkBandwidthBytesPerSecond, racks.uplinkLatencySeconds);
        this.network.addLink(racks.uplinkBandwidthBytesPerSecond, racks.uplinkLatencySeconds);
      }
    }
  }

  /** Link id of a host's NIC uplink (host → switch). */
  hostUplink(host: number): number {
    this.assertHost(host, 'hostUplink');
    return this.base + 2 * host;
  }

  /** Link id of a host's NIC downlink (switch → host). */
  hostDownlink(host: number): number {
    this.assertHost(host, 'hostDownlink');
    return this.base + 2 * host + 1;
  }

  /** Rack of a host (−1 without racks). */
  rackOf(host: number): number {
    this.assertHost(host, 'rackOf');
    return this.hostsPerRack === 0 ? -1 : Math.floor(host / this.hostsPerRack);
  }

  /** Link id of a rack's uplink (top-of-rack switch → core). */
  rackUplink(rack: number): number {
    this.assertRack(rack, 'rackUplink');
    return this.base + 2 * this.hostCount + 2 * rack;
  }

  /** Link id of a rack's downlink (core → top-of-rack switch). */
  rackDownlink(rack: number): number {
    this.assertRack(rack, 'rackDownlink');
    return this.base + 2 * this.hostCount + 2 * rack + 1;
  }

  /**
   * Writes the route from `sourceHost` to `targetHost` (link ids, in order) into `out` and returns its length
   * (2 or 4). Allocation-free; pass the result to `network.startFlow(now, out, size, cap, length)`.
   *
   * @param out receives the route; at least {@link maxRouteLength} long. Default {@link routeBuffer}.
   * @throws RangeError for an unknown host, or a route from a host to itself (it would use no link).
   */
  route(sourceHost: number, targetHost: number, out: Int32Array = this.routeBuffer): number {
    this.assertHost(sourceHost, 'route');
    this.assertHost(targetHost, 'route');
    if (sourceHost === targetHost) throw new RangeError(`StarTopology.route: host ${sourceHost} to itself uses no link; there is no route`);
    const base = this.base;
    const hostsPerRack = this.hostsPerRack;
    if (hostsPerRack !== 0) {
      const sourceRack = Math.floor(sourceHost / hostsPerRack);
      const targetRack = Math.floor(targetHost / hostsPerRack);
      if (sourceRack !== targetRack) {
        if (out.length < 4) throw new RangeError(`StarTopology.route: out has room for ${out.length} links, the route has 4`);
        const rackBase = base + 2 * this.hostCount;
        out[0] = base + 2 * sourceHost;
        out[1] = rackBase + 2 * sourceRack;
        out[2] = rackBase + 2 * targetRack + 1;
        out[3] = base + 2 * targetHost + 1;
        return 4;
      }
    }
    if (out.length < 2) throw new RangeError(`StarTopology.route: out has room for ${out.length} links, the route has 2`);
    out[0] = base + 2 * sourceHost;
    out[1] = base + 2 * targetHost + 1;
    return 2;
  }

  /** One-way latency from `sourceHost` to `targetHost`: the sum over the route's links, seconds. */
  routeLatencySeconds(sourceHost: number, targetHost: number): number {
    const length = this.route(sourceHost, targetHost);
    return this.network.pathLatencySeconds(this.routeBuffer, length);
  }

  /**
   * Starts a flow from `sourceHost` to `targetHost` along their route at `nowSeconds`; see
   * {@link FlowNetwork.startFlow}. Uses {@link routeBuffer}.
   *
   * @returns the flow id.
   */
  startFlowBetweenHosts(nowSeconds: number, sourceHost: number, targetHost: number, sizeBytes: number, capBytesPerSecond = Infinity): number {
    const length = this.route(sourceHost, targetHost);
    return this.network.startFlow(nowSeconds, this.routeBuffer, sizeBytes, capBytesPerSecond, length);
  }

  private assertHost(host: number, method: string): void {
    if (!(Number.isInteger(host) && host >= 0 && host < this.hostCount)) {
      throw new RangeError(`StarTopology.${method}: ${host} is not a host (hosts are 0 … ${this.hostCount - 1})`);
    }
  }

  private assertRack(rack: number, method: string): void {
    if (!(Number.isInteger(rack) && rack >= 0 && rack < this.rackCount)) {
      throw new RangeError(`StarTopology.${method}: ${rack} is not a rack (there are ${this.rackCount})`);
    }
  }
}

/**
 * Builds hosts with full-duplex NICs on a non-blocking switch, optionally in racks sharing an uplink to a
 * core switch. See {@link StarTopology} and the module comment.
 */
export function starTopology(options: StarTopologyOptions): StarTopology {
  return new StarTopology(options);
}
