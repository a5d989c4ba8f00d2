/** The items of `list` without repeats, first occurrence kept, order kept. */
export function unique<T>(list: readonly T[]): T[] {
  return list.filter((item, index) => list.indexOf(item) === index);
}
