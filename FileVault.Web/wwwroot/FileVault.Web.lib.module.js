// Blazor JS initializer (loaded by blazor.web.js because of its name): the custom events the app's components use.

// Row events of the entry list, raised by the list's container (one handler for every row) with the row's index
// taken from the element the event happened in: rows carry data attributes, not handlers, so a re-render between a
// click and a double-click can never leave the second one pointing at a handler that was replaced.
const rowEvents = ['click', 'dblclick', 'contextmenu', 'dragstart', 'dragend', 'dragenter', 'dragleave', 'drop'];

function rowEventArgs(event) {
  const row = event.target instanceof Element ? event.target.closest('[data-entry-id][data-index]') : null;
  if (row && event.type === 'contextmenu') {
    // The list's own menu opens instead of the browser's.
    event.preventDefault();
  }

  return {
    type: event.type,
    index: row ? Number(row.dataset.index) : -1,
    detail: event.detail ?? 0,
    clientX: event.clientX ?? 0,
    clientY: event.clientY ?? 0,
    button: event.button ?? 0,
    buttons: event.buttons ?? 0,
    ctrlKey: !!event.ctrlKey,
    shiftKey: !!event.shiftKey,
    altKey: !!event.altKey,
    metaKey: !!event.metaKey,
  };
}

export function afterWebStarted(blazor) {
  for (const name of rowEvents) {
    blazor.registerCustomEventType('row' + name, { browserEventName: name, createEventArgs: rowEventArgs });
  }
}
