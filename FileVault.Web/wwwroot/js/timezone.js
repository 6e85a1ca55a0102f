// The browser's IANA time zone (e.g. "Asia/Seoul"): FileVault shows every date and time in it.
export function zone() {
    return Intl.DateTimeFormat().resolvedOptions().timeZone;
}
