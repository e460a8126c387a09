/**
 * Host classes: hosts that are interchangeable for placement (same power model and capacities) share a class.
 * Placement uses this to look at one empty host per class instead of all of them: empty hosts of one class offer
 * the same power increase, so only the lowest id can win a tie.
 */

export interface HostClasses {
  /** Class of each host. */
  classOf: Int32Array;
  /** Each class's hosts in id order. */
  hostsOf: number[][];
  /** Each host's position in its class's list. */
  indexInClass: Int32Array;
}

/** Groups `count` hosts by the key `keyOf` gives them (hosts with equal keys are interchangeable). */
export function groupHosts(count: number, keyOf: (host: number) => string): HostClasses {
  const classes = new Map<string, number>();
  const classOf = new Int32Array(count);
  for (let h = 0; h < count; h++) {
    const key = keyOf(h);
    let c = classes.get(key);
    if (c === undefined) {
      c = classes.size;
      classes.set(key, c);
    }
    classOf[h] = c;
  }
  const hostsOf: number[][] = Array.from({ length: classes.size }, () => []);
  const indexInClass = new Int32Array(count);
  for (let h = 0; h < count; h++) {
    indexInClass[h] = hostsOf[classOf[h]].length;
    hostsOf[classOf[h]].push(h);
  }
  return { classOf, hostsOf, indexInClass };
}

/** A stable small integer per distinct object (for keys of objects without names, such as power models). */
export function identityIds<T>(): (value: T) => number {
  const ids = new Map<T, number>();
  return (value) => {
    let id = ids.get(value);
    if (id === undefined) {
      id = ids.size;
      ids.set(value, id);
    }
    return id;
  };
}
