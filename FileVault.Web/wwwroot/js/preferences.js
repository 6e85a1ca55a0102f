// Per-device view preferences (list or grid), kept in the browser like the dark-mode choice.
export function get(key) {
    return localStorage.getItem("filevault." + key);
}

export function set(key, value) {
    localStorage.setItem("filevault." + key, value);
}
