/**
 * Largest-remainder (Hamilton) rounding: rounds shares to whole units so that they add up to a given
 * total, each share moving by less than one unit from its exact value. Used so that the USD figures
 * and percentages of a cost breakdown, as displayed, sum exactly to the displayed total.
 */

/**
 * Splits `target` whole units among shares `numerators[i] / denominator`: each share gets its floor,
 * and the units left over go one each to the largest remainders (ties to the earlier share, so a list
 * sorted by size favours its larger items). Exact for any size (BigInt arithmetic).
 * @param target must lie between the sum of the floors and that sum plus the count of non-zero
 * remainders (true whenever it is the rounded sum of the shares).
 */
export function largestRemainder(numerators: readonly bigint[], denominator: bigint, target: bigint): bigint[] {
  const units = numerators.map((n) => n / denominator);
  let left = target - units.reduce((sum, u) => sum + u, 0n);
  if (left < 0n || left > BigInt(numerators.length)) throw new RangeError(`target ${target} cannot be reached by rounding these shares`);
  const order = numerators.map((n, index) => ({ index, remainder: n % denominator }));
  order.sort((a, b) => (a.remainder === b.remainder ? a.index - b.index : a.remainder > b.remainder ? -1 : 1));
  for (const { index } of order) {
    if (left === 0n) break;
    units[index] = (units[index] as bigint) + 1n;
    left -= 1n;
  }
  return units;
}
