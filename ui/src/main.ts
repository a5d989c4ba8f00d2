import { mount } from "svelte";
import "./app.css";
import App from "./App.svelte";
import { theme } from "./lib/theme/theme.svelte";

const target = document.getElementById("app");
if (!target) throw new Error("index.html has no #app element");

// public/theme-init.js marked <html> before the first paint; from here the app keeps it, and
// follows the OS while the choice is System.
theme.start();

export default mount(App, { target });
