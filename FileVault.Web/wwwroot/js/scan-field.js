// The desk's scan field: a barcode scanner types the asset tag fast and ends with Enter. The value is read here, in
// the browser, so no keystroke is lost to a round trip; focus comes back whenever it would otherwise go nowhere.
export function attach(input, dotnet) {
    input.addEventListener("keydown", async (event) => {
        if (event.key !== "Enter") {
            return;
        }

        event.preventDefault();
        const tag = input.value.trim();
        input.value = "";
        if (tag) {
            await dotnet.invokeMethodAsync("Scanned", tag);
        }
    });
    input.addEventListener("focusout", () => setTimeout(() => refocus(input), 0));
    document.addEventListener("click", () => setTimeout(() => refocus(input), 0));
    input.focus();
}

// Back to the scan field unless someone is typing elsewhere or a dialog is open.
export function refocus(input) {
    const active = document.activeElement;
    const busy = active && active !== document.body && active !== input &&
        (active.matches("input, textarea, select, [contenteditable]") || active.closest(".mud-dialog, .mud-popover-open"));
    if (input.isConnected && !busy && !document.querySelector(".mud-dialog")) {
        input.focus();
    }
}
