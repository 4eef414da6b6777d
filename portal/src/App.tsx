import { Center, Loader } from '@mantine/core';
import { lazy, type ReactNode, Suspense } from 'react';
import { createHashRouter, Navigate, RouterProvider, useLocation } from 'react-router-dom';
import { ReauthProvider } from './components/ReauthDialog';
import { SessionProvider, useSession } from './session';
import { Shell } from './shell/Shell';

// Each page is its own chunk: the first load carries only the shell and the sign-in page.
const SignInPage = lazy(() => import('./pages/signin/SignInPage'));
const LinkPage = lazy(() => import('./pages/link/LinkPage'));
const AccountPage = lazy(() => import('./pages/account/AccountPage'));
const TeamPage = lazy(() => import('./pages/team/TeamPage'));
const KeysPage = lazy(() => import('./pages/keys/KeysPage'));
const SmsPage = lazy(() => import('./pages/sms/SmsPage'));
const MessagesPage = lazy(() => import('./pages/messages/MessagesPage'));
const ActionsPage = lazy(() => import('./pages/actions/ActionsPage'));
const ActionPage = lazy(() => import('./pages/actions/ActionPage'));
const AuditPage = lazy(() => import('./pages/audit/AuditPage'));
const UsersPage = lazy(() => import('./pages/users/UsersPage'));
const UserPage = lazy(() => import('./pages/users/UserPage'));
const ActionDetailPage = lazy(() => import('./pages/activity/ActionDetailPage'));
const ChallengePage = lazy(() => import('./pages/activity/ChallengePage'));
const ReviewsPage = lazy(() => import('./pages/reviews/ReviewsPage'));
const MessageLogPage = lazy(() => import('./pages/message-log/MessageLogPage'));
// recharts is most of this chunk: it loads only when the dashboard opens.
const DashboardPage = lazy(() => import('./pages/dashboard/DashboardPage'));
const InboxPage = lazy(() => import('./pages/inbox/InboxPage'));

function PageLoader() {
  return (
    <Center h="50vh" role="status" aria-label="Loading">
      <Loader />
    </Center>
  );
}

const page = (node: ReactNode) => <Suspense fallback={<PageLoader />}>{node}</Suspense>;

/** Pages behind sign-in: a partial session goes back to finish MFA, or to enrol when MFA is mandatory. */
function RequireSession({ children }: { children: ReactNode }) {
  const { me, loading } = useSession();
  const location = useLocation();
  if (loading) return <PageLoader />;
  if (!me) return <Navigate to={`/sign-in?from=${encodeURIComponent(location.pathname)}`} replace />;
  if (me.session.status === 'mfa_required') return <Navigate to="/sign-in?step=mfa" replace />;
  if (me.session.status === 'mfa_enrolment_required' && location.pathname !== '/account') {
    return <Navigate to="/account" replace />;
  }
  return <>{children}</>;
}

/** Configuration roles land on their actions; support and viewers without config:read on users. */
function Landing() {
  const { may } = useSession();
  return <Navigate to={may('config:read') ? '/actions' : '/users'} replace />;
}

const router = createHashRouter([
  { path: '/sign-in', element: page(<SignInPage />) },
  { path: '/link/:token', element: page(<LinkPage />) },
  {
    path: '/',
    element: (
      <RequireSession>
        <Shell />
      </RequireSession>
    ),
    children: [
      { index: true, element: <Landing /> },
      { path: 'account', element: page(<AccountPage />) },
      { path: 'team', element: page(<TeamPage />) },
      { path: 'keys', element: page(<KeysPage />) },
      { path: 'sms', element: page(<SmsPage />) },
      { path: 'messages', element: page(<MessagesPage />) },
      { path: 'actions', element: page(<ActionsPage />) },
      { path: 'actions/:actionCode', element: page(<ActionPage />) },
      { path: 'audit', element: page(<AuditPage />) },
      { path: 'users', element: page(<UsersPage />) },
      { path: 'users/:userId', element: page(<UserPage />) },
      { path: 'activity/actions/:idempotencyKey', element: page(<ActionDetailPage />) },
      { path: 'activity/challenges/:challengeId', element: page(<ChallengePage />) },
      { path: 'reviews', element: page(<ReviewsPage />) },
      { path: 'message-log', element: page(<MessageLogPage />) },
      { path: 'dashboard', element: page(<DashboardPage />) },
      { path: 'inbox', element: page(<InboxPage />) },
      { path: '*', element: <Landing /> },
    ],
  },
]);

export function App() {
  return (
    <SessionProvider>
      <ReauthProvider>
        <RouterProvider router={router} />
      </ReauthProvider>
    </SessionProvider>
  );
}
