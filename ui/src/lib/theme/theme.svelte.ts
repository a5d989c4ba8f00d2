// The colour theme: the user's choice (Light, Dark, or System: whatever the OS prefers, live),
// kept in localStorage and applied as data-theme="light" | "dark" on <html>, which app.css keys
// its palette on. public/theme-init.js applies the stored choice before the first paint, with
// the same key and values (theme.test.ts runs it against this module).

export const THEME_KEY = "astro-identity:theme";
export const THEME_CHOICES = ["system", "light", "dark"] as const;
export type ThemeChoice = (typeof THEME_CHOICES)[number];
export type Palette = "light" | "dark";

const DARK_QUERY = "(prefers-color-scheme: dark)";

/** The stored choice; anything else (nothing stored, storage unavailable) is System. */
export function storedChoice(storage: Storage | null): ThemeChoice {
  let value: string | null = null;
  try {
    value = storage?.getItem(THEME_KEY) ?? null;
  } catch {
    // Storage can refuse access (a locked-down profile): fall back to the OS.
  }
  return THEME_CHOICES.find((c) => c === value) ?? "system";
}

/** The palette a choice shows, given whether the OS prefers dark. */
export function paletteOf(choice: ThemeChoice, prefersDark: boolean): Palette {
  if (choice === "system") return prefersDark ? "dark" : "light";
  return choice;
}

/** Where the theme lives: the element it marks, the storage it keeps, the OS preference. */
export interface ThemeHost {
  root: HTMLElement;
  storage: Storage | null;
  /** The OS dark-mode query, or null where there is none (then System is light). */
  media: MediaQueryList | null;
}

function browserHost(): ThemeHost {
  let storage: Storage | null;
  try {
    storage = window.localStorage;
  } catch {
    storage = null;
  }
  const media = typeof window.matchMedia === "function" ? window.matchMedia(DARK_QUERY) : null;
  return { root: document.documentElement, storage, media };
}

export class Theme {
  choice = $state<ThemeChoice>("system");
  readonly #host: () => ThemeHost;
  #current: ThemeHost | null = null;

  /** `host` is read on first use, so tests can stub matchMedia before that. */
  constructor(host: () => ThemeHost = browserHost) {
    this.#host = host;
  }

  get #env(): ThemeHost {
    this.#current ??= this.#host();
    return this.#current;
  }

  /** The palette shown now. */
  get palette(): Palette {
    return paletteOf(this.choice, this.#env.media?.matches ?? false);
  }

  /**
   * Reads the stored choice, applies it, and follows the OS while the choice is System.
   * Returns the function that stops following.
   */
  start(): () => void {
    const { storage, media } = this.#env;
    this.choice = storedChoice(storage);
    this.#apply();
    const follow = () => {
      if (this.choice === "system") this.#apply();
    };
    media?.addEventListener("change", follow);
    return () => media?.removeEventListener("change", follow);
  }

  /** Keeps and applies the user's choice. */
  set(choice: ThemeChoice): void {
    this.choice = choice;
    try {
      this.#env.storage?.setItem(THEME_KEY, choice);
    } catch {
      // Not kept across restarts, but applied now.
    }
    this.#apply();
  }

  #apply(): void {
    const { root } = this.#env;
    root.dataset.theme = this.palette;
  }
}

/** The app's theme: main.ts starts it before the first mount; the header's switch sets it. */
export const theme = new Theme();
