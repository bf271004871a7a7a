'use strict';
// Which fault each order gets. Every fault is a share of all orders and an order gets at most
// one, so the shares must add up to at most 1; the rest are normal orders ('none').
//
// The plan is a smooth weighted round robin (nginx's): over any run the count of each fault is
// within one of share x orders, so even a short run has every fault whose share is at least
// 1/orders. The seed shuffles where in the sequence each fault falls.

const FAULTS = ['lost', 'delayed', 'seller-5xx', 'mes-error', 'broken-propagation'];

// "lost=0.1,delayed=0.05" (or "none") -> { lost: 0.1, delayed: 0.05, ... } with every fault.
function parseShares(text) {
  const shares = Object.fromEntries(FAULTS.map((f) => [f, 0]));
  if (text === 'none' || text === '') return shares;
  for (const part of text.split(',')) {
    const [name, value] = part.split('=');
    if (!FAULTS.includes(name)) throw new Error(`--faults: unknown fault "${name}" (known: ${FAULTS.join(', ')})`);
    const share = Number(value);
    if (!(share >= 0 && share <= 1)) throw new Error(`--faults: ${name}=${value} is not a share between 0 and 1`);
    shares[name] = share;
  }
  const total = FAULTS.reduce((sum, f) => sum + shares[f], 0);
  if (total > 1 + 1e-9) throw new Error(`--faults: the shares add up to ${total}, more than 1`);
  return shares;
}

// mulberry32: a small seeded PRNG, so a --seed gives the same run again.
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class FaultPlan {
  constructor(shares, random) {
    const none = Math.max(0, 1 - FAULTS.reduce((sum, f) => sum + shares[f], 0));
    this.entries = [...FAULTS.map((f) => ({ fault: f, weight: shares[f] })), { fault: 'none', weight: none }]
        .filter((e) => e.weight > 0)
        .map((e) => ({ ...e, current: random() * e.weight }));
  }

  next() {
    let best = null;
    for (const e of this.entries) {
      e.current += e.weight;
      if (!best || e.current > best.current) best = e;
    }
    best.current -= 1;  // the weights add up to 1
    return best.fault;
  }
}

module.exports = { FAULTS, parseShares, prng, FaultPlan };
