/**
 * `run` once typing pauses for `ms` (with the arguments of the last call): validation and
 * rendering happen in Rust, and one call per pause is enough.
 */
export function debounced<A extends unknown[]>(
  run: (...args: A) => unknown,
  ms = 150,
): (...args: A) => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return (...args: A) => {
    clearTimeout(timer);
    timer = setTimeout(() => void run(...args), ms);
  };
}
