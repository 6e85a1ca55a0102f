// Downloads start as the browser's own requests, so it streams them to disk with the sign-in cookie: a fetch would
// hold a large ZIP in memory, and no token ever goes into a URL (R-DL-7).

// One file: a plain link, clicked.
export function saveLink(url) {
    const link = document.createElement("a");
    link.href = url;
    link.download = "";
    document.body.appendChild(link);
    link.click();
    link.remove();
}

// Several items or a folder: the page's hidden form (its antiforgery token already inside) posted with the ids.
export function submitZip(form, ids) {
    form.querySelectorAll("input[name=ids]").forEach(input => input.remove());
    for (const id of ids) {
        const input = document.createElement("input");
        input.type = "hidden";
        input.name = "ids";
        input.value = id;
        form.appendChild(input);
    }
    form.submit();
}
