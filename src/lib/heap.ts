// A binary min-heap ordered by a numeric key: the scheduler's queue of pending actions.
// Receives items with their key; sends back the item with the smallest key first. Items of
// equal key come out in insertion order, so actions due together run in the order given.

export class Heap<T> {
  readonly #keys: number[] = [];
  readonly #seqs: number[] = [];
  readonly #items: T[] = [];
  #seq = 0;

  get size(): number {
    return this.#items.length;
  }

  /** The smallest key, or Infinity when empty. */
  peekKey(): number {
    return this.#keys[0] ?? Number.POSITIVE_INFINITY;
  }

  push(key: number, item: T): void {
    this.#keys.push(key);
    this.#seqs.push(this.#seq++);
    this.#items.push(item);
    this.#up(this.#items.length - 1);
  }

  pop(): T | undefined {
    const top = this.#items[0];
    const last = this.#items.length - 1;
    if (last < 0) return undefined;
    this.#move(last, 0);
    this.#keys.pop();
    this.#seqs.pop();
    this.#items.pop();
    if (last > 0) this.#down(0);
    return top;
  }

  #less(a: number, b: number): boolean {
    const ka = this.#keys[a]!;
    const kb = this.#keys[b]!;
    return ka < kb || (ka === kb && this.#seqs[a]! < this.#seqs[b]!);
  }

  #swap(a: number, b: number): void {
    [this.#keys[a], this.#keys[b]] = [this.#keys[b]!, this.#keys[a]!];
    [this.#seqs[a], this.#seqs[b]] = [this.#seqs[b]!, this.#seqs[a]!];
    [this.#items[a], this.#items[b]] = [this.#items[b]!, this.#items[a]!];
  }

  #move(from: number, to: number): void {
    this.#keys[to] = this.#keys[from]!;
    this.#seqs[to] = this.#seqs[from]!;
    this.#items[to] = this.#items[from]!;
  }

  #up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(i, parent)) return;
      this.#swap(i, parent);
      i = parent;
    }
  }

  #down(i: number): void {
    const n = this.#items.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let least = i;
      if (l < n && this.#less(l, least)) least = l;
      if (r < n && this.#less(r, least)) least = r;
      if (least === i) return;
      this.#swap(i, least);
      i = least;
    }
  }
}
