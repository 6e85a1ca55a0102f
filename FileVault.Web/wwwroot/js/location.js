// Rewrites the address bar without a Blazor navigation: keeping "?select=" in step with the selection must not
// re-render the page, or a key pressed in that moment (F2 right after a click) lands on a replaced handler.
export function replaceUrl(url) {
    history.replaceState(history.state, "", url);
}
