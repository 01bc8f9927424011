// @ts-check
// Light or dark: the system's choice (prefers-color-scheme) until the person picks one with the
// toggle in the top bar; the pick is kept in localStorage and written on <html data-theme>.
// templates/base.html applies a stored pick before the first paint (no flash of the wrong theme).

export const THEME_KEY = "pulse-theme";

/**
 * The theme in force: the stored pick, else the system's.
 * @param {string | null} stored
 * @param {boolean} systemDark
 * @returns {"light" | "dark"}
 */
export function effectiveTheme(stored, systemDark) {
  if (stored === "light" || stored === "dark") return stored;
  return systemDark ? "dark" : "light";
}

/** @param {"light" | "dark"} theme */
export function otherTheme(theme) {
  return theme === "dark" ? "light" : "dark";
}

/** @param {Document} doc */
export function init(doc) {
  const button = /** @type {HTMLButtonElement | null} */ (doc.getElementById("theme-toggle"));
  if (!button) return;
  const media = window.matchMedia("(prefers-color-scheme: dark)");
  const read = () => {
    try {
      return localStorage.getItem(THEME_KEY);
    } catch {
      return null;
    }
  };
  const render = () => {
    const theme = effectiveTheme(read(), media.matches);
    button.setAttribute("aria-pressed", String(theme === "dark"));
    button.replaceChildren(
      Object.assign(document.createElement("span"), { textContent: theme === "dark" ? "☀" : "☾" }),
    );
    button.firstElementChild?.setAttribute("aria-hidden", "true");
    button.title = theme === "dark" ? "Switch to light mode" : "Switch to dark mode";
  };
  button.addEventListener("click", () => {
    const next = otherTheme(effectiveTheme(read(), media.matches));
    try {
      localStorage.setItem(THEME_KEY, next);
    } catch {
      /* private mode: the pick lasts for this page only */
    }
    doc.documentElement.dataset.theme = next;
    render();
  });
  media.addEventListener("change", render);
  render();
}
