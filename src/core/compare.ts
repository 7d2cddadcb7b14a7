/** Code-unit order, not locale order: the same on every machine, for paths and ids alike. */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
