import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cleanup, fireEvent, render, screen } from "@testing-library/svelte";
import initScript from "../../../public/theme-init.js?raw";
import ThemeSwitch from "./ThemeSwitch.svelte";
import {
  THEME_CHOICES,
  THEME_KEY,
  Theme,
  paletteOf,
  storedChoice,
  theme,
  type ThemeHost,
} from "./theme.svelte";

/** A stand-in for matchMedia("(prefers-color-scheme: dark)") whose answer the test flips. */
class FakeDarkQuery extends EventTarget {
  media = "(prefers-color-scheme: dark)";
  constructor(public matches: boolean) {
    super();
  }
  /** The OS switches: the query answers anew and says so, as a real one does. */
  flip(matches: boolean) {
    this.matches = matches;
    this.dispatchEvent(new Event("change"));
  }
}

function host(prefersDark: boolean): ThemeHost & { query: FakeDarkQuery } {
  const query = new FakeDarkQuery(prefersDark);
  return {
    root: document.createElement("html"),
    storage: window.localStorage,
    media: query as unknown as MediaQueryList,
    query,
  };
}

/** window.matchMedia answering `prefersDark` for the dark query (jsdom has none). */
function stubMatchMedia(query: FakeDarkQuery) {
  Object.defineProperty(window, "matchMedia", {
    configurable: true,
    writable: true,
    value: (q: string) => (q === query.media ? query : new FakeDarkQuery(false)),
  });
}

beforeEach(() => localStorage.clear());
afterEach(() => {
  cleanup();
  localStorage.clear();
  delete document.documentElement.dataset.theme;
  Reflect.deleteProperty(window, "matchMedia");
});

describe("theme", () => {
  it("reads only a known stored choice, else follows the system", () => {
    expect(storedChoice(localStorage)).toBe("system");
    localStorage.setItem(THEME_KEY, "dark");
    expect(storedChoice(localStorage)).toBe("dark");
    localStorage.setItem(THEME_KEY, "sepia");
    expect(storedChoice(localStorage)).toBe("system");
    expect(storedChoice(null)).toBe("system");
    const locked = {
      getItem: () => {
        throw new DOMException("denied", "SecurityError");
      },
    } as unknown as Storage;
    expect(storedChoice(locked)).toBe("system");
    expect(paletteOf("system", true)).toBe("dark");
    expect(paletteOf("system", false)).toBe("light");
    expect(paletteOf("light", true)).toBe("light");
    expect(paletteOf("dark", false)).toBe("dark");
  });

  it("marks <html> with the stored choice and keeps a new one", () => {
    localStorage.setItem(THEME_KEY, "dark");
    const env = host(false);
    const t = new Theme(() => env);
    const stop = t.start();
    expect(t.choice).toBe("dark");
    expect(env.root.dataset.theme).toBe("dark");

    t.set("light");
    expect(env.root.dataset.theme).toBe("light");
    expect(localStorage.getItem(THEME_KEY)).toBe("light");
    // An explicit choice ignores the OS.
    env.query.flip(true);
    expect(env.root.dataset.theme).toBe("light");
    stop();
  });

  it("follows the OS live while the choice is System, and stops when told", () => {
    const env = host(true);
    const t = new Theme(() => env);
    const stop = t.start();
    expect(t.choice).toBe("system");
    expect(env.root.dataset.theme).toBe("dark");
    env.query.flip(false);
    expect(env.root.dataset.theme).toBe("light");
    env.query.flip(true);
    expect(env.root.dataset.theme).toBe("dark");

    t.set("system");
    expect(localStorage.getItem(THEME_KEY)).toBe("system");
    stop();
    env.query.flip(false);
    expect(env.root.dataset.theme).toBe("dark");
  });

  it("paints before the app starts: public/theme-init.js picks what the app would", () => {
    for (const stored of [null, ...THEME_CHOICES, "sepia"]) {
      for (const prefersDark of [false, true]) {
        localStorage.clear();
        if (stored !== null) localStorage.setItem(THEME_KEY, stored);
        stubMatchMedia(new FakeDarkQuery(prefersDark));
        delete document.documentElement.dataset.theme;
        new Function(initScript)();
        const expected = paletteOf(storedChoice(localStorage), prefersDark);
        expect({ stored, prefersDark, theme: document.documentElement.dataset.theme }).toEqual({
          stored,
          prefersDark,
          theme: expected,
        });
      }
    }
  });

  it("the header's switch: a labelled select that sets, keeps and follows", async () => {
    const query = new FakeDarkQuery(false);
    stubMatchMedia(query);
    const stop = theme.start();
    render(ThemeSwitch);
    const select = screen.getByRole("combobox", { name: "Theme" }) as HTMLSelectElement;
    expect([...select.options].map((o) => o.textContent)).toEqual(["System", "Light", "Dark"]);
    expect(select.value).toBe("system");
    expect(document.documentElement.dataset.theme).toBe("light");

    await fireEvent.change(select, { target: { value: "dark" } });
    expect(document.documentElement.dataset.theme).toBe("dark");
    expect(localStorage.getItem(THEME_KEY)).toBe("dark");

    await fireEvent.change(select, { target: { value: "system" } });
    expect(document.documentElement.dataset.theme).toBe("light");
    query.flip(true);
    expect(document.documentElement.dataset.theme).toBe("dark");
    stop();
  });
});
