/** `text` as a sentence a person reads: first letter upper-case, closing punctuation. Rust's
 * lint hints are written as continuations ("name the accounts…"); the screen shows them alone. */
export function sentence(text: string): string {
  const trimmed = text.trim();
  if (trimmed === "") return trimmed;
  const capital = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?)]$/.test(capital) ? capital : `${capital}.`;
}
