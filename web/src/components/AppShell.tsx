import type { ReactNode } from 'react';

/** Page frame: header (brand, controls, status area) and the main content region. */
export function AppShell({ status, controls, children }: { status: ReactNode; controls?: ReactNode; children: ReactNode }) {
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="app-header">
        <div className="brand">
          <svg className="brand__logo" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
            <path
              d="M4 19h6l3-9 5 14 3-8h7"
              fill="none"
              stroke="currentColor"
              strokeWidth="2.6"
              strokeLinecap="round"
              strokeLinejoin="round"
            />
          </svg>
          <h1 className="brand__name">CryptoPulse</h1>
          <span className="brand__tag">paper</span>
        </div>
        {controls && <div className="app-header__controls">{controls}</div>}
        <div className="app-header__status">{status}</div>
      </header>
      <main id="main" className="app-main" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
