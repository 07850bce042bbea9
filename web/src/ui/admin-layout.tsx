import { Link, Outlet } from '@tanstack/react-router';

const tabs = [
  ['System', '/admin/system'],
  ['Recycle bin', '/admin/recycle-bin'],
  ['AI provider', '/admin/ai'],
] as const;

/** The workspace administration frame: its tabs and the page. */
export function AdminLayout() {
  return (
    <>
      <p className="muted small" style={{ margin: '0 0 0.25rem' }}>
        Workspace administration
      </p>
      <nav aria-label="Administration">
        <ul className="tabs">
          {tabs.map(([label, to]) => (
            <li key={to}>
              <Link to={to} activeProps={{ className: 'active', 'aria-current': 'page' }}>
                {label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <Outlet />
    </>
  );
}
