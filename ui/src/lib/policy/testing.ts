import { EditorView } from "@codemirror/view";
import { screen } from "@testing-library/svelte";

/** Replaces the JSON pane's text as typing would (the editor reports it as a change). */
export function typeJson(text: string): void {
  const view = EditorView.findFromDOM(screen.getByLabelText("JSON"));
  if (view === null) throw new Error("the JSON pane has no editor");
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
}

/** The JSON pane's text. */
export function jsonText(): string {
  const view = EditorView.findFromDOM(screen.getByLabelText("JSON"));
  if (view === null) throw new Error("the JSON pane has no editor");
  return view.state.doc.toString();
}
