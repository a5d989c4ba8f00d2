/**
 * `run` once typing pauses for `ms`: validation and rendering happen in Rust, and one
 * call per pause is enough.
 */
export function debounced(run: () => unknown, ms = 150): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(() => void run(), ms);
  };
}
