// The shape of one option-table row, public (OptionSpec) and as the addon exports its tables
// (src/native.ts takes RawTableOptionSpec from here): one declaration in a module that loads
// nothing, so option-specs.ts and native.ts both import it without a cycle.
/** One option of a native table: its key, type, default, bounds, unit and meaning. */
export interface OptionSpec {
  /** The option's name in an options object (camelCase). */
  key: string;
  type: 'number' | 'integer' | 'boolean';
  /** The value used when the option is not given. */
  default: number | boolean;
  /** Lower bound (numbers only). */
  min?: number;
  /** Upper bound (numbers only). */
  max?: number;
  /** The lower bound itself is not allowed. */
  minExclusive?: boolean;
  /** The upper bound itself is not allowed. */
  maxExclusive?: boolean;
  /** The bounds as text, e.g. "[0.001, 0.1] s", "(0, 1]", "1..50". */
  range?: string;
  /** Unit of the value ("" when it has none). */
  unit: string;
  /** What the option does, for help texts. */
  meaning: string;
}
