/** The dashboard's icon (served as `assets/icon.svg`): three pods, one linked. */
export const DASHBOARD_ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
<rect width="32" height="32" rx="7" fill="#4f46e5"/>
<circle cx="9" cy="22" r="3.2" fill="#c7d2fe"/>
<circle cx="16" cy="22" r="3.2" fill="#fff"/>
<circle cx="23" cy="22" r="3.2" fill="#c7d2fe"/>
<circle cx="16" cy="9" r="3.2" fill="#fff"/>
<path d="M16 12.4v6.2" stroke="#fff" stroke-width="2" stroke-linecap="round"/>
</svg>
`;
