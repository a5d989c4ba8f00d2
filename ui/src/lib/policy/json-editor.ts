import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { json } from "@codemirror/lang-json";
import { HighlightStyle, bracketMatching, syntaxHighlighting } from "@codemirror/language";
import { Annotation, Compartment, EditorState, StateEffect, StateField } from "@codemirror/state";
import { Decoration, EditorView, keymap, lineNumbers, type DecorationSet } from "@codemirror/view";
import { tags } from "@lezer/highlight";

/** A CodeMirror 6 JSON editor the policy editors drive: text in, text out, an error marker. */
export interface JsonEditor {
  /** Shows `text` unless it already is the document (typing never round-trips here). */
  setText(text: string): void;
  /** Marks where the JSON breaks (1-based line and column), or clears the mark. */
  markError(error: { line: number; column: number } | null): void;
  destroy(): void;
}

// Text set from outside (a form edit) must not be reported back as typing.
const external = Annotation.define<boolean>();

const setError = StateEffect.define<{ from: number; to: number } | null>();

const errorMarks = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(marks, tr) {
    let next = marks.map(tr.changes);
    for (const effect of tr.effects) {
      if (!effect.is(setError)) continue;
      const at = effect.value;
      next =
        at === null
          ? Decoration.none
          : Decoration.set([
              Decoration.line({ class: "cm-error-line" }).range(tr.state.doc.lineAt(at.from).from),
              ...(at.to > at.from
                ? [Decoration.mark({ class: "cm-error-mark" }).range(at.from, at.to)]
                : []),
            ]);
    }
    return next;
  },
  provide: (field) => EditorView.decorations.from(field),
});

// Colours come from the app's CSS variables, so light and dark mode both read well.
const highlight = HighlightStyle.define([
  { tag: tags.propertyName, color: "var(--accent)" },
  { tag: tags.string, color: "var(--ok)" },
  { tag: [tags.number, tags.bool, tags.null], color: "var(--warn)" },
  {
    tag: [tags.brace, tags.squareBracket, tags.separator, tags.punctuation],
    color: "var(--text-2)",
  },
]);

const theme = EditorView.theme({
  "&": {
    flex: "1",
    minWidth: "0",
    color: "var(--text)",
    backgroundColor: "var(--surface)",
    fontSize: "12px",
  },
  // JsonPane rings the whole editor (its :focus-within), so the text area draws no second one.
  "&.cm-focused, .cm-content:focus-visible": { outline: "none" },
  ".cm-scroller": { fontFamily: "var(--mono)", lineHeight: "1.5" },
  ".cm-content": { caretColor: "var(--text)", padding: "var(--s2) 0" },
  ".cm-cursor": { borderLeftColor: "var(--text)" },
  ".cm-gutters": { backgroundColor: "var(--surface-2)", color: "var(--text-2)", border: "none" },
  "&.cm-focused .cm-selectionBackground, .cm-selectionBackground, ::selection": {
    backgroundColor: "var(--accent-soft)",
  },
  ".cm-matchingBracket": {
    backgroundColor: "var(--accent-soft)",
    outline: "1px solid var(--accent)",
  },
  ".cm-error-line": { backgroundColor: "var(--danger-soft)" },
  ".cm-error-mark": { textDecoration: "underline wavy var(--danger)" },
});

// The strict CSP allows no runtime <style> without the page's nonce (see index.html).
const cspNonce = document.querySelector<HTMLStyleElement>("style#csp-nonce")?.nonce ?? "";

export function createJsonEditor(
  parent: HTMLElement,
  options: {
    id: string;
    labelledBy: string;
    describedBy: string;
    text: string;
    onChange: (text: string) => void;
  },
): JsonEditor {
  const invalid = new Compartment();
  const attributes = (isInvalid: boolean) =>
    EditorView.contentAttributes.of({
      id: options.id,
      "aria-labelledby": options.labelledBy,
      "aria-describedby": options.describedBy,
      "aria-invalid": String(isInvalid),
      "aria-multiline": "true",
      spellcheck: "false",
    });

  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: options.text,
      extensions: [
        ...(cspNonce ? [EditorView.cspNonce.of(cspNonce)] : []),
        lineNumbers(),
        history(),
        bracketMatching(),
        json(),
        syntaxHighlighting(highlight),
        // No Tab binding: Tab keeps moving focus, so the editor never traps the keyboard.
        keymap.of([...defaultKeymap, ...historyKeymap]),
        EditorView.lineWrapping,
        errorMarks,
        theme,
        invalid.of(attributes(false)),
        EditorView.updateListener.of((update) => {
          const typed = update.transactions.some((tr) => tr.docChanged && !tr.annotation(external));
          if (typed) options.onChange(update.state.doc.toString());
        }),
      ],
    }),
  });

  return {
    setText(text) {
      if (text === view.state.doc.toString()) return;
      view.dispatch({
        changes: { from: 0, to: view.state.doc.length, insert: text },
        annotations: external.of(true),
      });
    },
    markError(error) {
      const effects = [
        invalid.reconfigure(attributes(error !== null)),
        setError.of(error === null ? null : span(view.state, error)),
      ];
      view.dispatch({ effects });
    },
    destroy: () => view.destroy(),
  };
}

/** The character at `line`:`column` (clamped into the document), as a document range. */
function span(
  state: EditorState,
  at: { line: number; column: number },
): { from: number; to: number } {
  const line = state.doc.line(Math.min(Math.max(at.line, 1), state.doc.lines));
  const from = Math.min(line.from + Math.max(at.column - 1, 0), line.to);
  return { from, to: Math.min(from + 1, line.to) };
}
