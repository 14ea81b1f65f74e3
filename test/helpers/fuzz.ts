/** A seeded generator of hostile input: the same seed gives the same run. */
export class Fuzz {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** mulberry32: small, fast, good enough to pick mutations. */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let x = this.state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  }

  int(max: number): number {
    return Math.floor(this.next() * max);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Values that break parsers, limits and assumptions. */
  nasty(): unknown {
    switch (this.int(22)) {
      case 0:
        return null;
      case 1:
        return this.chance(0.5);
      case 2:
        return this.pick([0, -1, -0.5, 1e308, -1e308, 2 ** 53, 2 ** 32, 127.5, 99999]);
      case 3:
        return '';
      case 4:
        return 'x'.repeat(this.pick([256, 5000, 70_000]));
      case 5:
        return `a\u0000b\u001b[2J\u009b`;
      case 6:
        return `invoice\u202Efdp.zip\u2066`;
      case 7:
        return '../../etc/passwd';
      case 8:
        return '<script>alert(1)</script>';
      case 9:
        return { $gt: '' };
      case 10:
        return [];
      case 11:
        return {};
      case 12:
        return this.deep(40);
      case 13:
        return 'Th\uFFFD\uFFFD';
      case 14:
        return this.pick(['2027-02-30T07:30:00+07:00', '9999-99-99', '2027-02-30', 'T', 'NaN']);
      case 15:
        return '😀'.repeat(this.pick([10, 2000]));
      case 16:
        return `${this.int(1e9)}:links`;
      case 17:
        return Array.from({ length: this.pick([3, 300]) }, () => this.int(1000));
      case 18:
        return { constructor: { prototype: { polluted: true } } };
      case 19:
        return 'video/../../x';
      case 20:
        return -this.int(2 ** 31);
      default:
        return this.randomJson(3);
    }
  }

  deep(levels: number): unknown {
    let v: unknown = 'bottom';
    for (let i = 0; i < levels; i++) v = this.chance(0.5) ? [v] : { a: v };
    return v;
  }

  randomJson(depth: number): unknown {
    const kind = this.int(depth > 0 ? 7 : 5);
    switch (kind) {
      case 0:
        return null;
      case 1:
        return this.chance(0.5);
      case 2:
        return (this.next() - 0.5) * 10 ** this.int(12);
      case 3:
        return this.string();
      case 4:
        return this.int(200);
      case 5:
        return Array.from({ length: this.int(5) }, () => this.randomJson(depth - 1));
      default:
        return Object.fromEntries(
          Array.from({ length: this.int(5) }, () => [this.string(), this.randomJson(depth - 1)]),
        );
    }
  }

  string(): string {
    const alphabet = 'abcđêơưạảãáàĐ019 _-:/.\u0000\u202e\n"\\{}[]%';
    return Array.from({ length: this.int(12) }, () => this.pick([...alphabet])).join('');
  }

  /** A copy of a valid value with one field broken: replaced, removed, or an unknown one added. */
  breakOne(valid: unknown): unknown {
    const copy = structuredClone(valid);
    const paths: (string | number)[][] = [];
    const walk = (v: unknown, path: (string | number)[]) => {
      if (path.length > 0) paths.push(path);
      if (Array.isArray(v)) {
        for (const [i, x] of v.entries()) walk(x, [...path, i]);
      } else if (v && typeof v === 'object')
        for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
    };
    walk(copy, []);
    if (paths.length === 0 || this.chance(0.1)) return this.nasty();
    const path = this.pick(paths);
    let parent = copy as Record<string | number, unknown>;
    for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
    const last = path[path.length - 1]!;
    const how = this.int(10);
    if (how === 0 && !Array.isArray(parent)) delete parent[last];
    else if (how === 1 && !Array.isArray(parent)) parent[`unknown_${this.int(100)}`] = this.nasty();
    else parent[last] = this.nasty();
    return copy;
  }
}
