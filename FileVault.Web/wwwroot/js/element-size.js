// The width inside an element's padding and scrollbar, so the grid view knows how many tiles fit on a line.
export function innerWidth(element) {
    return element ? element.clientWidth : 0;
}
