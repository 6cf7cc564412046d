import type { EvaluatorOptions } from './interface.js';

/**
 * Reads evaluator options that may be spelt in the reference's snake_case (`pass_Ks`) or in
 * camelCase (`passKs`), and rejects any option the evaluator does not know.
 */
export class OptionReader {
  readonly #who: string;
  readonly #options: EvaluatorOptions;
  readonly #used = new Set<string>();

  constructor(who: string, options: EvaluatorOptions | undefined) {
    this.#who = who;
    this.#options = options ?? {};
  }

  #get(names: readonly string[]): [string, unknown] | undefined {
    let found: [string, unknown] | undefined;
    for (const n of names) {
      if (!Object.hasOwn(this.#options, n)) continue;
      this.#used.add(n);
      if (found) throw new Error(`${this.#who}: option given twice, as '${found[0]}' and '${n}'`);
      found = [n, this.#options[n]];
    }
    return found;
  }

  /** A positive integer option. */
  positiveInt(names: readonly string[], fallback: number): number {
    const got = this.#get(names);
    if (!got || got[1] === undefined) return fallback;
    const [n, v] = got;
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
      throw new Error(
        `${this.#who}: option '${n}' must be a positive integer, got ${JSON.stringify(v)}`,
      );
    }
    return v;
  }

  /** A non-empty list of positive integers. */
  positiveInts(names: readonly string[], fallback: readonly number[]): number[] {
    const got = this.#get(names);
    if (!got || got[1] === undefined) return [...fallback];
    const [n, v] = got;
    if (
      !Array.isArray(v) ||
      v.length === 0 ||
      !v.every((x) => typeof x === 'number' && Number.isInteger(x) && x > 0)
    ) {
      throw new Error(
        `${this.#who}: option '${n}' must be a non-empty list of positive integers, got ${JSON.stringify(v)}`,
      );
    }
    return [...(v as number[])];
  }

  /** A boolean option. */
  boolean(names: readonly string[], fallback: boolean): boolean {
    const got = this.#get(names);
    if (!got || got[1] === undefined) return fallback;
    const [n, v] = got;
    if (typeof v !== 'boolean')
      throw new Error(
        `${this.#who}: option '${n}' must be true or false, got ${JSON.stringify(v)}`,
      );
    return v;
  }

  /** Throws when an option was given that no accessor asked for. */
  done(): void {
    const unknown = Object.keys(this.#options).filter((k) => !this.#used.has(k) && k !== 'name');
    if (unknown.length > 0) {
      throw new Error(
        `${this.#who}: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')}`,
      );
    }
  }
}
