// The dark-mode choice is a per-device preference, kept in the browser.
const key = "filevault.darkMode";

export function getDarkMode() {
    const value = localStorage.getItem(key);
    return value === null ? null : value === "true";
}

export function setDarkMode(dark) {
    localStorage.setItem(key, dark ? "true" : "false");
}
