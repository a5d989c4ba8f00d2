// Runs before the first paint (a classic script in <head>, allowed by the CSP's script-src
// 'self'): marks <html> with the stored theme so the page never flashes the other palette.
// Key and values as in src/lib/theme/theme.svelte.ts, which takes over once the app starts.
(function () {
  var choice = "system";
  try {
    var stored = window.localStorage.getItem("astro-identity:theme");
    if (stored === "light" || stored === "dark") choice = stored;
  } catch {
    // No storage: follow the OS.
  }
  if (choice === "system") {
    var dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
    choice = dark ? "dark" : "light";
  }
  document.documentElement.setAttribute("data-theme", choice);
})();
