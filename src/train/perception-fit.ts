// Fits the perception block's cut points on the training clips (the block itself, and how a
// model uses it, are in src/inference/perception.ts).
/** The effort cut points are the training clips' tertiles. */
export const EFFORT_QUANTILES: [number, number] = [1 / 3, 2 / 3];

export function quantileOf(values: number[], q: number): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const pos = q * (v.length - 1), i = Math.floor(pos);
  return i + 1 >= v.length ? v[v.length - 1] : v[i] + (v[i + 1] - v[i]) * (pos - i);
}

export function fitEffortCuts(values: (number | null)[]): [number, number] {
  const v = values.filter((x): x is number => x !== null && Number.isFinite(x));
  return [quantileOf(v, EFFORT_QUANTILES[0]), quantileOf(v, EFFORT_QUANTILES[1])];
}
